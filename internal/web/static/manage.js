// manage.js — small helps on the organization and call management pages.
// Every form there is a plain form that works without JavaScript; here
// the time zone selects offer every zone the browser knows (the server
// lists the common ones) and a new call's zone defaults to the browser's,
// and the forms that cannot be undone (publishing a call or its results,
// closing a round) ask first, in a dialog.

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "className") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

// ---- time zones ---------------------------------------------------------------

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

function knownZones() {
  try {
    return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  } catch {
    return [];
  }
}

for (const select of document.querySelectorAll("select[data-zones]")) {
  const have = new Set([...select.options].map((o) => o.value));
  const more = knownZones().filter((z) => !have.has(z));
  if (more.length) {
    const group = el("optgroup", { label: "Every time zone" });
    for (const z of more) group.append(el("option", { value: z, text: z.replaceAll("_", " ") }));
    select.append(group);
  }
  // A new call: the organizer most likely sets the deadline in their own
  // zone. The server's default is UTC, which stays when the browser's
  // zone is unknown.
  if (select.hasAttribute("data-browser-zone")) {
    const z = browserZone();
    if (z && [...select.options].some((o) => o.value === z)) select.value = z;
  }
}

// ---- confirmations --------------------------------------------------------------

let dialog = null;

function confirmDialog(question, onYes) {
  if (!dialog) {
    dialog = el("dialog", { className: "add-dialog manage-confirm", "aria-labelledby": "manage-confirm-text" });
    const text = el("p", { id: "manage-confirm-text" });
    const yes = el("button", { type: "button", className: "button button-primary", id: "manage-confirm-yes" }, "Yes, go ahead");
    const no = el("button", { type: "button", className: "button button-quiet" }, "Cancel");
    no.addEventListener("click", () => dialog.close());
    dialog.append(text, el("div", { className: "add-dialog-actions" }, no, yes));
    document.body.append(dialog);
  }
  dialog.querySelector("#manage-confirm-text").textContent = question;
  const yes = dialog.querySelector("#manage-confirm-yes");
  const fresh = yes.cloneNode(true); // drop the previous form's listener
  yes.replaceWith(fresh);
  fresh.addEventListener("click", () => {
    dialog.close();
    onYes();
  });
  dialog.showModal();
  fresh.focus();
}

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (e) => {
    if (form.dataset.confirmed === "true" || typeof HTMLDialogElement !== "function") return;
    e.preventDefault();
    confirmDialog(form.dataset.confirm, () => {
      form.dataset.confirmed = "true";
      form.requestSubmit();
    });
  });
}

for (const id of ["call-manage", "org"]) document.getElementById(id)?.setAttribute("data-ready", "true"); // for tests
