// library-selection.js — selecting photos in the library grid and adding
// them to a project.
//
// A click opens a photo, as before. Ctrl- or Cmd-click (or the round
// check on a tile) selects it and starts selecting: from then on a click
// toggles, Shift-click adds the range from the last photo clicked, Ctrl+A
// selects every loaded photo and Escape ends the selection. The keyboard
// does the same: Ctrl+Enter and Shift+Enter on a focused photo. A bar
// then offers the actions for the selection; "Add to project" asks for a
// project (or a name for a new one) and sends the photos through
// POST /api/v1/projects/{id}/assets.
//
// Dragging a photo (or, when it is selected, the whole selection) is a
// second way for pointer users: a panel of the owner's projects slides
// in, and dropping on one adds the photos. Escape or dropping anywhere
// else cancels. Keyboard users keep the selection bar.

import { svgIcon } from "./grid.js";

// sentence turns the API's message into a sentence.
function sentence(s) {
  s = String(s || "").trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

function photos(n) {
  return n === 1 ? "1 photo" : n + " photos";
}

// api sends a JSON request and returns the answer's JSON, or throws an
// Error whose message is safe to show.
async function api(method, url, body) {
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
      credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new Error("The connection was interrupted. Try again.");
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401) throw new Error("Your session has ended. Sign in again in another tab, then retry.");
    throw new Error(sentence(json && json.error) || "That did not work (error " + res.status + ").");
  }
  return json;
}

// Projects is the owner's project list, fetched from the server once and
// then kept up to date here, for the drop panel.
class Projects {
  constructor() {
    this.loading = null;
    this.list = [];
  }

  // owned resolves to the caller's own projects (only those take the
  // caller's own photos); a failure rejects, and the next call retries.
  owned() {
    if (!this.loading) {
      this.loading = api("GET", "/api/v1/projects").then(
        (j) => (this.list = j.owned || []),
        (err) => {
          this.loading = null;
          throw err;
        },
      );
    }
    return this.loading;
  }

  // know records projects seen elsewhere (the add dialog's fresh list, a
  // new project).
  know(list) {
    this.list = list.slice();
    this.loading = Promise.resolve(this.list);
  }
}

// addPhotos sends ids to the project and returns the sentence that says
// what happened.
async function addPhotos(id, name, ids) {
  const res = await api("POST", "/api/v1/projects/" + encodeURIComponent(id) + "/assets", { asset_ids: ids });
  const added = res.added ?? ids.length;
  const there = ids.length - added;
  let text = photos(added) + " added to “" + name + "”.";
  if (there > 0) text += " " + (there === 1 ? "1 was" : there + " were") + " in it already.";
  return text;
}

function projectLink(id) {
  return { href: "/projects/" + encodeURIComponent(id), text: "Open the project" };
}

// Selection keeps the selected photos of the grid inside section, which
// stays while tiles come and go (uploads, more pages, processing tiles
// that turn into thumbnails).
export class Selection {
  constructor(section, sprite) {
    this.section = section;
    this.sprite = sprite;
    this.ids = new Set();
    this.anchor = "";
    this.bar = document.getElementById("selection-bar");
    this.count = document.getElementById("selection-count");
    this.notice = document.getElementById("selection-notice");
    this.projects = new Projects();
    this.dialog = new AddDialog(this);
    this.drag = new DragToProject(this);

    for (const tile of section.querySelectorAll(".tile")) this.decorate(tile);
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) continue;
          if (n.classList.contains("tile")) this.decorate(n);
          else for (const t of n.querySelectorAll(".tile")) this.decorate(t);
        }
      }
    }).observe(section, { childList: true, subtree: true });

    // Capture: decide before the link navigates.
    section.addEventListener("click", (e) => this.click(e), true);
    document.addEventListener("keydown", (e) => this.key(e));
    document.getElementById("selection-all").addEventListener("click", () => this.selectAll());
    this.clearButton = document.getElementById("selection-clear");
    this.clearButton.addEventListener("click", () => this.clear(true));
    document.getElementById("selection-add").addEventListener("click", () => this.dialog.open());
  }

  tiles() {
    return [...this.section.querySelectorAll(".tile")].filter((t) => t.dataset.status !== "failed");
  }

  // decorate gives a tile its check button and its selected state, and
  // makes it draggable as a whole (its link and image are not, so a drag
  // carries the photo's id rather than a URL or an image file).
  decorate(tile) {
    if (tile.dataset.status === "failed") return;
    if (!tile.draggable) {
      tile.draggable = true;
      for (const e of tile.querySelectorAll("a, img")) e.draggable = false;
    }
    let check = tile.querySelector(".tile-check");
    if (!check) {
      check = document.createElement("button");
      check.type = "button";
      check.className = "tile-check";
      check.tabIndex = -1; // the keyboard selects with Ctrl+Enter on the photo
      const alt = tile.querySelector("img")?.alt || tile.querySelector(".visually-hidden")?.textContent || "photo";
      check.setAttribute("aria-label", "Select " + alt);
      check.append(svgIcon(this.sprite, "check"));
      tile.prepend(check);
    }
    const on = this.ids.has(tile.dataset.id);
    tile.classList.toggle("is-selected", on);
    check.setAttribute("aria-pressed", String(on));
  }

  click(e) {
    const tile = e.target.closest && e.target.closest(".tile");
    if (!tile || tile.dataset.status === "failed") return;
    const onCheck = !!e.target.closest(".tile-check");
    const toggle = onCheck || e.ctrlKey || e.metaKey || (this.ids.size > 0 && !e.shiftKey);
    if (e.shiftKey) {
      e.preventDefault();
      e.stopPropagation();
      this.range(tile);
      return;
    }
    if (!toggle) return; // a plain click opens the photo
    e.preventDefault();
    e.stopPropagation();
    this.toggle(tile);
  }

  key(e) {
    const t = e.target;
    if (t.closest && t.closest("input, textarea, select, dialog, [contenteditable]")) return;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "a") {
      e.preventDefault();
      this.selectAll();
    } else if (e.key === "Escape" && this.ids.size > 0 && !this.drag.isOpen()) {
      e.preventDefault();
      this.clear(true);
    }
  }

  toggle(tile) {
    const id = tile.dataset.id;
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = id;
    this.changed();
  }

  // range adds every photo between the anchor and tile.
  range(tile) {
    const all = this.tiles();
    const to = all.indexOf(tile);
    let from = all.findIndex((t) => t.dataset.id === this.anchor);
    if (from < 0) from = to;
    const [a, b] = from < to ? [from, to] : [to, from];
    for (const t of all.slice(a, b + 1)) this.ids.add(t.dataset.id);
    this.anchor = tile.dataset.id;
    this.changed();
  }

  selectAll() {
    for (const t of this.tiles()) this.ids.add(t.dataset.id);
    this.changed();
  }

  clear(andNotice) {
    this.ids.clear();
    this.anchor = "";
    if (andNotice) this.say("");
    this.changed();
  }

  // selected lists the selected ids in the grid's order.
  selected() {
    return this.tiles().map((t) => t.dataset.id).filter((id) => this.ids.has(id));
  }

  changed() {
    // Photos that left the grid (deleted elsewhere) leave the selection.
    const present = new Set(this.tiles().map((t) => t.dataset.id));
    for (const id of this.ids) if (!present.has(id)) this.ids.delete(id);
    for (const t of this.section.querySelectorAll(".tile")) this.decorate(t);
    const n = this.ids.size;
    this.section.classList.toggle("is-selecting", n > 0);
    this.count.textContent = n ? photos(n) + " selected" : "";
    for (const b of this.bar.querySelectorAll("[data-needs-selection]")) b.hidden = n === 0;
    this.clearButton.textContent = n ? "Clear" : "Dismiss"; // only a notice left
    this.bar.hidden = n === 0 && !this.notice.textContent;
  }

  // say shows a notice in the bar: plain text, and optionally a link.
  say(text, link, isError) {
    this.notice.replaceChildren();
    this.notice.classList.toggle("is-error", !!isError);
    if (text) this.notice.append(text);
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      this.notice.append(" ", a);
    }
    this.changed();
  }
}

// AddDialog asks which project the selection goes to.
class AddDialog {
  constructor(sel) {
    this.sel = sel;
    this.el = document.getElementById("add-dialog");
    this.form = document.getElementById("add-form");
    this.heading = document.getElementById("add-dialog-heading");
    this.select = document.getElementById("add-project");
    this.nameField = document.getElementById("add-new-field");
    this.name = document.getElementById("add-new-name");
    this.error = document.getElementById("add-error");
    this.submit = document.getElementById("add-submit");
    this.projects = [];
    this.select.addEventListener("change", () => this.showName());
    document.getElementById("add-cancel").addEventListener("click", () => this.el.close());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.add();
    });
  }

  showName() {
    this.nameField.hidden = this.select.value !== "new";
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  // open shows the dialog for the selection; asNew starts it on "New
  // project…" (the drop panel's entry).
  async open(asNew) {
    const n = this.sel.ids.size;
    if (!n) return;
    this.heading.textContent = "Add " + photos(n) + " to a project";
    this.fail("");
    this.name.value = "";
    this.el.showModal();
    this.select.disabled = true;
    try {
      const list = await api("GET", "/api/v1/projects");
      // Only the caller's own projects take the caller's own photos.
      this.projects = list.owned || [];
      this.sel.projects.know(this.projects);
    } catch (err) {
      this.fail(err.message);
    }
    const keep = this.select.value;
    const options = this.projects.map((p) => new Option(p.name, p.id));
    options.push(new Option("New project…", "new"));
    this.select.replaceChildren(...options);
    if (asNew) this.select.value = "new";
    else if (keep && this.projects.some((p) => p.id === keep)) this.select.value = keep;
    this.select.disabled = false;
    this.showName();
    (this.select.value === "new" ? this.name : this.select).focus();
  }

  async add() {
    const ids = this.sel.selected();
    if (!ids.length) return this.el.close();
    this.submit.disabled = true;
    this.fail("");
    try {
      let id = this.select.value;
      let name;
      if (id === "new") {
        const p = await api("POST", "/api/v1/projects", { name: this.name.value });
        id = p.id;
        name = p.name;
        this.projects.unshift(p);
        this.sel.projects.know(this.projects);
      } else {
        name = this.projects.find((p) => p.id === id)?.name || "the project";
      }
      const text = await addPhotos(id, name, ids);
      this.el.close();
      this.sel.clear(false);
      this.sel.say(text, projectLink(id));
      this.select.value = id;
    } catch (err) {
      this.fail(err.message);
    } finally {
      this.submit.disabled = false;
    }
  }
}

// The drag's data type: the dragged photos' ids as a JSON array. Pages of
// other origins cannot read it, and a drop of it anywhere but on the
// panel does nothing.
const DRAG_TYPE = "application/x-safelight-assets";

function dragsPhotos(e) {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types || []).includes(DRAG_TYPE);
}

// DragToProject shows the drop panel while photos are dragged and adds
// them to the project they are dropped on.
class DragToProject {
  constructor(sel) {
    this.sel = sel;
    this.panel = document.getElementById("drag-panel");
    this.list = document.getElementById("drag-projects");
    this.status = document.getElementById("drag-status");
    this.ids = [];
    this.wasSelection = false;
    this.closing = 0;
    if (!this.panel) return;

    sel.section.addEventListener("dragstart", (e) => this.start(e));
    // dragend comes after a drop anywhere, after Escape and after a drop
    // outside the window; a tile replaced mid-drag never sends it, so a
    // drop on the panel closes it too.
    document.addEventListener("dragend", () => this.close());
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.isOpen()) this.close();
    });
    this.list.addEventListener("dragover", (e) => this.over(e));
    this.list.addEventListener("dragleave", (e) => {
      const t = this.target(e);
      if (t && !t.contains(e.relatedTarget)) t.classList.remove("is-over");
    });
    this.list.addEventListener("drop", (e) => this.drop(e));
  }

  isOpen() {
    return !!this.panel && !this.panel.hidden;
  }

  target(e) {
    return e.target.closest ? e.target.closest(".drag-target") : null;
  }

  start(e) {
    const tile = e.target.closest && e.target.closest(".tile");
    if (!tile || !tile.draggable || !e.dataTransfer) return;
    const id = tile.dataset.id;
    this.wasSelection = this.sel.ids.has(id);
    this.ids = this.wasSelection ? this.sel.selected() : [id];
    e.dataTransfer.clearData();
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(this.ids));
    e.dataTransfer.effectAllowed = "copy";
    // Changing the page inside dragstart can end the drag at once in
    // Chromium: open the panel just after.
    setTimeout(() => this.open(), 0);
  }

  open() {
    clearTimeout(this.closing);
    this.panel.hidden = false;
    this.panel.querySelector(".drag-panel-count").textContent = "Add " + photos(this.ids.length) + " to a project";
    void this.panel.offsetWidth; // start the slide from off-screen
    this.panel.classList.add("is-open");
    this.render(null);
    this.sel.projects.owned().then(
      (list) => this.isOpen() && this.render(list),
      (err) => this.isOpen() && this.render([], err.message),
    );
  }

  close() {
    if (!this.isOpen()) return;
    this.panel.classList.remove("is-open");
    for (const t of this.list.querySelectorAll(".is-over")) t.classList.remove("is-over");
    // Hide once the slide out is over (at once when motion is reduced).
    const ms = matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 200;
    this.closing = setTimeout(() => (this.panel.hidden = true), ms);
  }

  // render lists the projects (null while they load) and "New project…".
  render(list, error) {
    this.status.textContent = error || (list === null ? "Loading projects…" : "");
    this.status.classList.toggle("is-error", !!error);
    const items = (list || []).map((p) => this.entry(p.id, p.name));
    items.push(this.entry("new", "New project…"));
    this.list.replaceChildren(...items);
  }

  entry(id, name) {
    const li = document.createElement("li");
    li.className = "drag-target";
    li.dataset.project = id;
    const label = document.createElement("span");
    label.className = "drag-target-name";
    label.textContent = name;
    if (id === "new") li.classList.add("is-new");
    else li.append(svgIcon(this.sel.sprite, "folder"));
    li.append(label);
    return li;
  }

  over(e) {
    const t = this.target(e);
    if (!t || !dragsPhotos(e)) return;
    e.preventDefault(); // accept the drop here
    e.dataTransfer.dropEffect = "copy";
    for (const o of this.list.querySelectorAll(".is-over")) if (o !== t) o.classList.remove("is-over");
    t.classList.add("is-over");
  }

  async drop(e) {
    const t = this.target(e);
    if (!t || !dragsPhotos(e)) return;
    e.preventDefault();
    let ids = this.ids;
    try {
      const got = JSON.parse(e.dataTransfer.getData(DRAG_TYPE));
      if (Array.isArray(got) && got.every((x) => typeof x === "string")) ids = got;
    } catch {
      // keep the ids noted at dragstart
    }
    const fromSelection = this.wasSelection;
    this.close();
    if (!ids.length) return;
    const id = t.dataset.project;
    if (id === "new") {
      // The dialog adds the selection: make the dragged photos the selection.
      this.sel.ids = new Set(ids);
      this.sel.changed();
      this.sel.dialog.open(true);
      return;
    }
    const name = this.sel.projects.list.find((p) => p.id === id)?.name || "the project";
    try {
      const text = await addPhotos(id, name, ids);
      if (fromSelection) this.sel.clear(false);
      this.sel.say(text, projectLink(id));
    } catch (err) {
      this.sel.say(err.message, null, true);
    }
  }
}
