// project.js — the project page's share dialog. Every control in it is a
// plain form that works without JavaScript (the page then opens the
// dialog in place through ?share=1); here the Share button opens it as a
// modal dialog instead, so focus stays inside and Escape closes it, and
// copy.js gives the new link's field its copy button.
import "./copy.js";

const dialog = document.getElementById("share");
const opener = document.getElementById("share-open");

// firstField is where focus goes when the dialog opens: a field the
// server refused, the new link to copy, or else the invitation address.
function firstField() {
  return dialog.querySelector('[aria-invalid="true"]') ||
    dialog.querySelector("#new-link-url") ||
    dialog.querySelector("#invite-email");
}

function openModal() {
  if (dialog.open) dialog.close();
  dialog.showModal();
  const f = firstField();
  if (f) f.focus();
}

if (dialog && typeof dialog.showModal === "function") {
  if (opener) {
    opener.addEventListener("click", (e) => {
      e.preventDefault();
      openModal();
    });
  }
  // The server opened it (after one of its forms): make it modal.
  if (dialog.open) openModal();
  dialog.addEventListener("close", () => {
    if (dialog.open) return; // closed only to reopen as a modal (openModal)
    // Closing leaves the page as it is; drop ?share=1 so that reloading
    // does not open the dialog again.
    const url = new URL(location.href);
    if (url.searchParams.has("share")) {
      url.searchParams.delete("share");
      url.hash = "";
      history.replaceState(null, "", url);
    }
    if (opener) opener.focus();
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener("click", (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) dialog.close();
  });
}

document.getElementById("project")?.setAttribute("data-ready", "true"); // for tests
