// entry.js — editing an entry on /entries/{id}.
//
// The page reads without JavaScript and submits and withdraws with plain
// forms; here the editing comes alive:
//  - autosave: what the entrant types is sent (debounced) with
//    PATCH /api/v1/entries/{id}, one request at a time, and the indicator
//    says "Saving…", "Saved" or why not;
//  - images: "Add from library" opens a picker over GET /api/v1/assets,
//    "Upload" sends new files through upload.js and adds them once the
//    library has them, each image can move up or down or be removed;
//  - requirements: after every change of images the server's own check
//    of each image (rendered into the page) replaces the list, and a 422
//    answer's problems are shown beside the images they are about;
//  - Submit waits until the last change is saved, and stays disabled
//    until the terms box is ticked.
import "./calls.js";
import { UploadQueue, UploadTray } from "./upload.js";

const root = document.getElementById("entry");
const $ = (sel) => root.querySelector(sel);

// sentence turns the API's message into a sentence.
function sentence(s) {
  s = String(s || "").trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

// api sends a JSON request; it resolves to {ok, status, json} and never
// throws (status 0: the connection failed).
async function api(method, url, body) {
  try {
    const res = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => null);
    return { ok: res.ok, status: res.status, json };
  } catch {
    return { ok: false, status: 0, json: null };
  }
}

// failure words an API answer that is not ok.
function failure(r) {
  if (r.status === 0) return "The connection was interrupted.";
  if (r.status === 401) return "Your session has ended. Sign in again in another tab.";
  return sentence(r.json && r.json.error) || "The server refused it (error " + r.status + ").";
}

if (root && root.dataset.editable === "true") {
  editor();
}
root?.setAttribute("data-ready", "true"); // for tests

function editor() {
  const apiURL = root.dataset.api;
  const pageURL = root.dataset.page;
  const maxImages = Number(root.dataset.maxImages) || 0;
  const status = $("#save-status");
  const list = $("#entry-images");
  const empty = $("#entry-images-empty");
  const imagesError = $("#images-error");

  // ---- Saving ----------------------------------------------------------

  let pending = {}; // fields changed since the last request
  let timer = 0;
  let chain = Promise.resolve(true); // requests, one after the other
  let lastOK = true;

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  // change notes changed fields and saves them after delay ms.
  function change(fields, delay) {
    Object.assign(pending, fields);
    setStatus("Not saved yet", "dirty");
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
  }

  // flush sends what is pending, after any request in flight; it resolves
  // to whether everything is saved. A refused change stays pending, so
  // the next flush (or Submit) tries it again.
  function flush() {
    clearTimeout(timer);
    chain = chain.then(async () => {
      while (Object.keys(pending).length) {
        const body = pending;
        pending = {};
        lastOK = await save(body);
        if (!lastOK) break;
      }
      return lastOK;
    });
    return chain;
  }

  async function save(body) {
    setStatus("Saving…", "saving");
    const r = await api("PATCH", apiURL, body);
    if (r.ok) {
      setStatus("Saved", "saved");
      clearErrors(body);
      if ("title" in body) {
        const t = body.title.trim() || "Untitled entry";
        $("#entry-heading").textContent = t;
        document.title = t + " · Safelight";
      }
      if ("asset_ids" in body) refreshImages();
      return true;
    }
    // Keep the change, so that the next save (or Submit) tries it again,
    // unless something newer replaced it meanwhile.
    pending = Object.assign({}, body, pending);
    const message = failure(r);
    setStatus("Not saved: " + message, "error");
    if (r.status === 422 && r.json && Array.isArray(r.json.problems)) {
      showProblems(r.json.problems);
    } else if ("asset_ids" in body) {
      showImagesError(message);
    } else if ("title" in body && Object.keys(body).length === 1) {
      fieldError("#entry-title", "#entry-title-error", message);
    } else if ("category" in body && Object.keys(body).length === 1) {
      fieldError("#entry-category", "#entry-category-error", message);
    }
    return false;
  }

  function fieldError(input, error, message) {
    const i = $(input), e = $(error);
    if (!i || !e) return;
    e.textContent = message;
    e.hidden = false;
    i.setAttribute("aria-invalid", "true");
    i.setAttribute("aria-describedby", e.id);
  }

  function clearErrors(body) {
    const pairs = { title: ["#entry-title", "#entry-title-error"], category: ["#entry-category", "#entry-category-error"] };
    for (const [field, [input, error]] of Object.entries(pairs)) {
      if (!(field in body) || !$(input)) continue;
      $(error).hidden = true;
      $(input).removeAttribute("aria-invalid");
      $(input).removeAttribute("aria-describedby");
    }
    if ("asset_ids" in body) showImagesError("");
  }

  const form = $("#entry-form");
  $("#entry-save").hidden = true; // saved as typed
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    flush();
  });
  for (const [sel, field] of [["#entry-title", "title"], ["#entry-statement", "statement"]]) {
    const input = $(sel);
    input.addEventListener("input", () => change({ [field]: input.value }, 700));
    input.addEventListener("blur", () => {
      if (field in pending) flush();
    });
  }
  const category = $("#entry-category");
  if (category) category.addEventListener("change", () => change({ category: category.value }, 0));

  // ---- Images ------------------------------------------------------------

  const template = document.getElementById("entry-image-template");

  function ids() {
    return [...list.querySelectorAll(".entry-image")].map((li) => li.dataset.asset);
  }

  function showImagesError(message) {
    imagesError.textContent = message;
    imagesError.hidden = !message;
  }

  // reveal shows the image controls (useless without this script), and
  // disables the moves that go nowhere.
  function reveal(scope) {
    for (const c of scope.querySelectorAll(".entry-image-controls")) c.hidden = false;
    const items = [...list.querySelectorAll(".entry-image")];
    items.forEach((li, i) => {
      li.querySelector('[data-move="-1"]').disabled = i === 0;
      li.querySelector('[data-move="1"]').disabled = i === items.length - 1;
    });
  }

  function imagesChanged() {
    empty.hidden = list.children.length > 0;
    reveal(list);
    change({ asset_ids: ids() }, 0);
  }

  // imageItem makes the row of an asset the library answered with.
  function imageItem(a) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.asset = a.id;
    li.dataset.status = a.status || "processing";
    const name = a.filename || "Photo";
    const img = li.querySelector("img");
    if (a.status === "ready") {
      img.src = a.thumb_url || "/api/v1/assets/" + encodeURIComponent(a.id) + "/thumb";
      img.alt = name;
    } else {
      img.remove();
    }
    li.querySelector(".entry-image-name").textContent = name;
    const size = li.querySelector(".entry-image-size");
    size.textContent = a.width ? a.width + " × " + a.height + " px" : "Being processed…";
    for (const hidden of li.querySelectorAll(".entry-image-controls .visually-hidden")) hidden.textContent = " " + name;
    li.querySelector(".image-problems").replaceChildren();
    reveal(li);
    return li;
  }

  // addAssets appends assets that are not in the entry yet, within the
  // call's limit.
  function addAssets(assets) {
    let added = 0;
    for (const a of assets) {
      if (!a || ids().includes(a.id)) continue;
      if (maxImages && ids().length >= maxImages) {
        showImagesError("This call takes at most " + maxImages + (maxImages === 1 ? " image" : " images") + " per entry.");
        break;
      }
      list.append(imageItem(a));
      added++;
    }
    if (added) imagesChanged();
  }

  list.addEventListener("click", (e) => {
    const button = e.target.closest("button");
    const li = button && button.closest(".entry-image");
    if (!li) return;
    if (button.hasAttribute("data-remove")) {
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      showImagesError("");
      (next ? next.querySelector("[data-remove]") : $("#open-picker")).focus();
      imagesChanged();
    } else if (button.dataset.move === "-1" && li.previousElementSibling) {
      li.previousElementSibling.before(li);
      moved(li, button);
    } else if (button.dataset.move === "1" && li.nextElementSibling) {
      li.nextElementSibling.after(li);
      moved(li, button);
    }
  });

  // moved saves the new order and keeps focus on the image's controls
  // (on the other move when this one can go no further).
  function moved(li, button) {
    imagesChanged();
    const other = li.querySelector('[data-move="' + (button.dataset.move === "1" ? "-1" : "1") + '"]');
    (button.disabled ? other : button).focus();
  }

  // showProblems puts a 422 answer's problems beside their images.
  function showProblems(problems) {
    for (const li of list.querySelectorAll(".entry-image")) {
      const box = li.querySelector(".image-problems");
      box.replaceChildren();
      for (const p of problems) {
        if (p.asset_id !== li.dataset.asset) continue;
        const s = document.createElement("span");
        s.className = "image-problem";
        s.setAttribute("role", "listitem");
        s.textContent = sentence(p.reason);
        box.append(s);
      }
    }
    showImagesError("Some images do not meet the call's requirements: remove or replace them.");
  }

  // refreshImages takes the images, with the server's check of each,
  // from the page as the server renders it now. Images still being
  // processed are checked again a moment later.
  let refreshing = 0;
  async function refreshImages() {
    const asked = ids().join(",");
    let html;
    try {
      const res = await fetch(pageURL, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!res.ok) return;
      html = await res.text();
    } catch {
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("entry-images");
    if (!fresh || ids().join(",") !== asked) return; // changed meanwhile: another save follows
    const got = [...fresh.querySelectorAll(".entry-image")].map((li) => li.dataset.asset).join(",");
    if (got !== asked) return;
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && [focused.closest(".entry-image")?.dataset.asset, focused.dataset.move, focused.hasAttribute("data-remove")];
    list.replaceChildren(...[...fresh.children].map((c) => document.importNode(c, true)));
    reveal(list);
    if (focusKey) {
      const li = list.querySelector('.entry-image[data-asset="' + focusKey[0] + '"]');
      const again = li && (focusKey[2] ? li.querySelector("[data-remove]") : li.querySelector('[data-move="' + focusKey[1] + '"]'));
      if (again) again.focus();
    }
    root.dataset.checked = String(++refreshing); // for tests: the check is shown
    if (list.querySelector('.entry-image[data-status="processing"]')) setTimeout(refreshImages, 1500);
  }

  // ---- The library picker ---------------------------------------------

  const picker = $("#picker");
  const grid = $("#picker-grid");
  const pickerStatus = $("#picker-status");
  const more = $("#picker-more");
  const addButton = $("#picker-add");
  const opener = $("#open-picker");
  const known = new Map(); // asset id → the library's JSON
  const chosen = [];
  let cursor = "";
  let loaded = false;

  function updateAdd() {
    addButton.disabled = chosen.length === 0;
    addButton.textContent = chosen.length === 1 ? "Add 1 photo" : chosen.length ? "Add " + chosen.length + " photos" : "Add photos";
  }

  function tile(a) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "picker-tile";
    b.dataset.id = a.id;
    b.setAttribute("aria-pressed", "false");
    const img = document.createElement("img");
    img.alt = a.filename || "Photo";
    img.loading = "lazy";
    if (a.status === "ready") img.src = a.thumb_url;
    const label = document.createElement("span");
    label.className = "picker-label";
    label.textContent = a.filename || "Photo";
    b.append(img, label);
    li.append(b);
    return li;
  }

  function markInEntry() {
    const inEntry = new Set(ids());
    for (const b of grid.querySelectorAll(".picker-tile")) {
      const already = inEntry.has(b.dataset.id);
      b.disabled = already;
      b.classList.toggle("is-in-entry", already);
      b.title = already ? "Already in the entry" : "";
    }
  }

  async function loadMore() {
    more.disabled = true;
    pickerStatus.textContent = "Loading your photos…";
    const r = await api("GET", "/api/v1/assets?limit=60" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    more.disabled = false;
    if (!r.ok) {
      pickerStatus.textContent = "Your photos could not be loaded: " + failure(r);
      return;
    }
    for (const a of r.json.items || []) {
      if (a.status === "failed" || known.has(a.id)) continue;
      known.set(a.id, a);
      grid.append(tile(a));
    }
    cursor = r.json.next_cursor || "";
    more.hidden = !cursor;
    loaded = true;
    markInEntry();
    pickerStatus.textContent = grid.children.length ? "Choose the photos to add." : "Your library is empty: upload photos with the Upload button.";
    picker.dataset.loaded = "true"; // for tests
  }

  opener.addEventListener("click", async () => {
    chosen.length = 0;
    for (const b of grid.querySelectorAll('.picker-tile[aria-pressed="true"]')) b.setAttribute("aria-pressed", "false");
    updateAdd();
    picker.showModal();
    if (!loaded) await loadMore();
    markInEntry();
    const first = grid.querySelector(".picker-tile:not(:disabled)");
    if (first) first.focus();
  });
  grid.addEventListener("click", (e) => {
    const b = e.target.closest(".picker-tile");
    if (!b || b.disabled) return;
    const on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    const i = chosen.indexOf(b.dataset.id);
    if (on && i < 0) chosen.push(b.dataset.id);
    if (!on && i >= 0) chosen.splice(i, 1);
    updateAdd();
  });
  more.addEventListener("click", loadMore);
  $("#picker-close").addEventListener("click", () => picker.close());
  addButton.addEventListener("click", () => {
    const assets = chosen.map((id) => known.get(id));
    picker.close();
    addAssets(assets);
  });
  picker.addEventListener("close", () => opener.focus());
  // A click on the backdrop closes it.
  picker.addEventListener("click", (e) => {
    if (e.target !== picker) return;
    const r = picker.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) picker.close();
  });

  // ---- Uploads -----------------------------------------------------------

  const queue = new UploadQueue({ maxBytes: Number(root.dataset.maxBytes) || 0 });
  new UploadTray($("#entry-upload-tray"), queue);
  const input = $("#entry-upload");
  input.addEventListener("change", () => {
    queue.add(Array.from(input.files || []));
    input.value = ""; // the same files again must work
  });
  queue.addEventListener("uploaded", (e) => {
    const a = e.detail.asset;
    // The picker's list no longer shows the whole library.
    loaded = false;
    cursor = "";
    known.clear();
    grid.replaceChildren();
    addAssets([a]);
  });
  window.addEventListener("beforeunload", (e) => {
    if (queue.busy || Object.keys(pending).length) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  // ---- Submit ------------------------------------------------------------

  const submitForm = $("#submit-form");
  if (submitForm) {
    const accept = $("#accept-terms");
    const submit = $("#submit-entry");
    const sync = () => {
      submit.disabled = !accept.checked;
    };
    accept.addEventListener("change", sync);
    sync();
    submitForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      const saved = await flush();
      if (!saved) {
        setStatus(status.textContent + " Fix this before submitting.", "error");
        sync();
        return;
      }
      submitForm.submit(); // the page's own form: the consent is collected by web form
    });
  }

  $("#image-actions").hidden = false;
  reveal(list);
  if (list.querySelector('.entry-image[data-status="processing"]')) setTimeout(refreshImages, 1500);
}
