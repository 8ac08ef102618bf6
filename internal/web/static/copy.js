// copy.js — copy buttons for secrets that a page shows once (access
// tokens, invitation links). The buttons are hidden in the HTML and only
// shown here, so without JavaScript nobody sees a button that does nothing;
// the field can still be selected and copied by hand.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) continue;
  const status = button.closest(".secret")?.querySelector(".copy-status");
  button.hidden = false;
  field.addEventListener("focus", () => field.select());
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      // Needs a secure context (https, or http on localhost).
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.focus();
      field.select();
      copied = document.execCommand("copy");
    }
    if (status) {
      status.textContent = copied ? "Copied to the clipboard." : "Select the text and copy it with your keyboard.";
    }
  });
}
