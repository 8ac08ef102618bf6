// passkey.js — passkeys (WebAuthn) on the sign-in, two-step and
// two-step settings pages. The server speaks JSON with binary fields in
// base64url; navigator.credentials wants ArrayBuffers, so this module
// converts both ways and talks to the JSON API (same origin, session or
// pending sign-in cookie). Every control starts hidden and is shown only
// where the browser has WebAuthn, so nobody sees a button that cannot work.

const supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

function fromB64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buf) {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.headers.get("Content-Type")?.startsWith("application/json") ? await res.json() : {};
  if (!res.ok) throw new Error(data.error || "Something went wrong; try again.");
  return data;
}

function creationOptions(o) {
  const pk = { ...o.publicKey };
  pk.challenge = fromB64url(pk.challenge);
  pk.user = { ...pk.user, id: fromB64url(pk.user.id) };
  pk.excludeCredentials = (pk.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
  return { publicKey: pk };
}

function requestOptions(o) {
  const pk = { ...o.publicKey };
  pk.challenge = fromB64url(pk.challenge);
  pk.allowCredentials = (pk.allowCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
  return { publicKey: pk };
}

function credentialJSON(c) {
  const r = c.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  }
  return {
    id: c.id, rawId: toB64url(c.rawId), type: c.type, response,
    authenticatorAttachment: c.authenticatorAttachment || undefined,
    clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
  };
}

function report(el, message) {
  const status = el.closest("section")?.querySelector(".passkey-status");
  if (status) {
    status.hidden = false;
    status.textContent = message;
  }
}

// A local path to go on to after signing in (the server checked it).
function nextPath(el) {
  const next = el.dataset.next || "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function cancelled(e) {
  return e.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : e.message;
}

// An assertion by one of the signed-in account's passkeys, confirming a
// sensitive change.
async function passkeyAssertion() {
  const o = await api("POST", "/api/v1/me/passkeys/reauth/begin", {});
  const c = await navigator.credentials.get(requestOptions(o));
  return { handle: o.handle, credential: credentialJSON(c) };
}

// The re-authentication of a form (templates/partials/reauth.html) as an
// API body: the password, and a code or, where passkeys are the second
// factor, a passkey assertion.
async function reauthBody(form) {
  const body = { password: form.elements.password.value };
  if (form.elements.code) {
    body.code = form.elements.code.value;
  } else if (form.elements.passkey_handle || form.hasAttribute("data-passkey-remove")) {
    Object.assign(body, await passkeyAssertion());
  }
  return body;
}

async function signIn(button, prefix) {
  try {
    const o = await api("POST", prefix + "/begin");
    const c = await navigator.credentials.get(requestOptions(o));
    await api("POST", prefix + "/finish", { handle: o.handle, credential: credentialJSON(c) });
    location.assign(nextPath(button));
  } catch (e) {
    report(button, e.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : e.message);
  }
}

if (supported) {
  for (const el of document.querySelectorAll("[data-passkey]")) el.hidden = false;

  document.querySelector("button[data-passkey-login]")?.addEventListener("click", (ev) => signIn(ev.currentTarget, "/api/v1/auth/passkey"));
  document.querySelector("button[data-passkey-second]")?.addEventListener("click", (ev) => signIn(ev.currentTarget, "/api/v1/auth/login/passkey"));

  document.querySelector("form[data-passkey-add]")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const name = form.elements.name.value.trim();
    try {
      const o = await api("POST", "/api/v1/me/passkeys/register/begin", await reauthBody(form));
      const c = await navigator.credentials.create(creationOptions(o));
      await api("POST", "/api/v1/me/passkeys/register/finish", { handle: o.handle, name, credential: credentialJSON(c) });
      location.reload();
    } catch (e) {
      report(form, cancelled(e));
    }
  });

  for (const form of document.querySelectorAll("form[data-passkey-rename]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PATCH", "/api/v1/me/passkeys/" + encodeURIComponent(form.dataset.id), { name: form.elements.name.value });
        location.reload();
      } catch (e) {
        report(form, e.message);
      }
    });
  }

  for (const form of document.querySelectorAll("form[data-passkey-remove]")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("DELETE", "/api/v1/me/passkeys/" + encodeURIComponent(form.dataset.id), await reauthBody(form));
        location.reload();
      } catch (e) {
        report(form, cancelled(e));
      }
    });
  }

  // Plain forms whose re-authentication needs a passkey: get the
  // assertion, put it in the form's hidden fields, then send the form as
  // the browser would (keeping the button's formaction).
  for (const form of document.querySelectorAll("form[data-reauth-passkey]")) {
    form.addEventListener("submit", async (ev) => {
      if (form.elements.passkey_credential.value) return;
      ev.preventDefault();
      try {
        const a = await passkeyAssertion();
        form.elements.passkey_handle.value = a.handle;
        form.elements.passkey_credential.value = JSON.stringify(a.credential);
        form.requestSubmit(ev.submitter);
      } catch (e) {
        const p = form.querySelector(".passkey-status") || form.appendChild(Object.assign(document.createElement("p"), { className: "field-error passkey-status" }));
        p.hidden = false;
        p.textContent = cancelled(e);
      }
    });
  }
}
