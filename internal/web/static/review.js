// review.js — reviewing the photos of a project or a review link: a
// justified grid (grid.js), a loupe whose preview fills the window, the
// culling keys of Lightroom and Photo Mechanic (0–5 stars, 6–9 colour
// labels, P pick, X reject, U unflag, arrows, Space, ?), marks that show at
// once and save themselves (PUT with only what changed), comments beside
// the image, "I'm done", downloads as the share allows, and for the owner
// every reviewer's marks with filters and the Lightroom exports.
//
// A page mounts it on <section id="review"> whose data attributes say
// where the photos come from and what the visitor may do (see the
// templates that mount it). Everything the server sends is put on the page
// as text (textContent, attributes), never parsed as markup.
import { JustifiedGrid, fadeIn, svgIcon } from "./grid.js";

const root = document.getElementById("review");
const cfg = {
  items: root.dataset.items,
  api: root.dataset.api,
  canReview: root.dataset.canReview === "true",
  download: root.dataset.download || "none",
  owner: root.dataset.owner === "true",
  reviewers: root.dataset.reviewers || "",
  exportBase: root.dataset.export || "",
  done: root.dataset.done === "true",
};
// The icon sprite: the page's own, as the header's icons use it.
const sprite = root.dataset.icons || (document.querySelector("svg.icon use")?.getAttribute("href") || "").split("#")[0];

const LABELS = ["red", "yellow", "green", "blue", "purple"];
const LABEL_KEYS = { 6: "red", 7: "yellow", 8: "green", 9: "blue" };
const LABEL_NAMES = { red: "Red", yellow: "Yellow", green: "Green", blue: "Blue", purple: "Purple" };

const state = {
  items: [], // the API's shared assets, in the project's order
  own: new Map(), // asset id → the visitor's own mark {rating, label, flag}
  self: "", // the visitor's reviewer key ("user:…" / "guest:…") once known
  names: new Map(), // reviewer key → name (owner: from the reviewers list)
  reviewers: [], // owner: [{id, name, email, via, done_at}]
  filter: { reviewer: "", minRating: 0, label: "", flag: "" },
  current: 0, // index into items of the photo the keys act on
  tiles: new Map(), // asset id → <li>
};

let grid = null;
let list = null;
let countEl = null;
let messageEl = null;
let liveEl = null;
let loupe = null;
let keysDialog = null;
let exportLinks = [];

// ---- small DOM helpers ----------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "className") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "hidden") e.hidden = true;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function icon(id) {
  return sprite ? svgIcon(sprite, id) : null;
}

function button(text, props = {}, iconID = "") {
  return el("button", { type: "button", className: "button", ...props }, iconID ? icon(iconID) : null, el("span", { text }));
}

function sentence(s) {
  s = String(s || "").trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

// ---- talking to the API ---------------------------------------------------

// failure words a refused or failed request in plain language.
async function failure(res) {
  let msg = "";
  let body = {};
  try {
    body = await res.json();
    msg = body.error || "";
  } catch {
    // not JSON: use the status
  }
  if (res.status === 401 && body.password_required) return "This link needs its password again. Reload the page to enter it.";
  if (res.status === 401) return "Your session has ended. Sign in again, then reload this page.";
  if (res.status === 403 && body.guest_required) return "Give your name first: reload the page.";
  if (res.status === 404) return "This photo or link is no longer available. Reload the page to see what is.";
  if (res.status === 429) return "Too many requests at once. Wait a moment, then try again.";
  if (res.status >= 500) return "The server could not save this. Please try again in a moment.";
  return msg ? sentence(msg) : "That did not work (error " + res.status + ").";
}

const OFFLINE = "Could not reach the server. Check your connection, then try again.";

async function send(method, url, body) {
  let res;
  try {
    res = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(OFFLINE);
  }
  if (!res.ok) throw new Error(await failure(res));
  if (res.status === 204) return null;
  return res.json();
}

function assetURL(item, what) {
  return cfg.api + "/assets/" + encodeURIComponent(item.id) + "/" + what;
}

// ---- marks ----------------------------------------------------------------

function isMarked(m) {
  return !!m && (m.rating > 0 || !!m.label || !!m.flag);
}

function emptyMark() {
  return { rating: 0, label: "", flag: "" };
}

// verdict combines marks the way the exports do (package sharing): the
// rounded mean of the ratings given, the most frequent label (the earliest
// on a tie), pick when picks outnumber rejects and reject the other way.
function verdict(marks) {
  let sum = 0;
  let n = 0;
  let picks = 0;
  const labels = new Map();
  for (const m of marks) {
    if (m.rating > 0) {
      sum += m.rating;
      n++;
    }
    if (m.label) labels.set(m.label, (labels.get(m.label) || 0) + 1);
    if (m.flag === "pick") picks++;
    if (m.flag === "reject") picks--;
  }
  let label = "";
  let best = 0;
  for (const [l, c] of labels) {
    if (c > best) {
      label = l;
      best = c;
    }
  }
  // Go's math.Round rounds halves away from zero; so does this for
  // positive numbers.
  return { rating: n ? Math.floor(sum / n + 0.5) : 0, label, flag: picks > 0 ? "pick" : picks < 0 ? "reject" : "" };
}

// shownMark is what a tile shows: the visitor's own mark, or for the
// owner the verdict of the reviewers the filter selects.
function shownMark(item) {
  if (!cfg.owner) return state.own.get(item.id) || emptyMark();
  return verdict(selectedMarks(item));
}

function selectedMarks(item) {
  return state.filter.reviewer ? item.marks.filter((m) => m.reviewer === state.filter.reviewer) : item.marks;
}

function matches(item) {
  if (!cfg.owner) return true;
  const f = state.filter;
  const v = shownMark(item);
  return v.rating >= f.minRating && (!f.label || v.label === f.label) && (!f.flag || v.flag === f.flag);
}

function describeMark(m) {
  const parts = [];
  if (m.rating > 0) parts.push(plural(m.rating, "star", "stars"));
  if (m.label) parts.push(LABEL_NAMES[m.label] + " label");
  if (m.flag === "pick") parts.push("picked");
  if (m.flag === "reject") parts.push("rejected");
  return parts.join(", ");
}

// syncOwn writes the visitor's own mark into the item's list of marks,
// which the owner's combined view reads.
function syncOwn(item) {
  if (!state.self) return;
  const own = state.own.get(item.id) || emptyMark();
  const i = item.marks.findIndex((m) => m.reviewer === state.self);
  const m = { reviewer: state.self, rating: own.rating, label: own.label, flag: own.flag };
  if (i >= 0) item.marks[i] = { ...item.marks[i], ...m };
  else item.marks.push(m);
}

const queues = new Map(); // asset id → the promise of its last save

// mark changes the visitor's mark of item at once on the page and saves
// the change; saves of one photo go one after another, in order.
function mark(item, change) {
  if (!cfg.canReview) return;
  const before = state.own.get(item.id) || emptyMark();
  state.own.set(item.id, { ...before, ...change });
  syncOwn(item);
  refresh(item);
  announce(change);
  const id = item.id;
  const prev = queues.get(id) || Promise.resolve();
  const next = prev.then(async () => {
    const m = await send("PUT", assetURL(item, "review"), change);
    if (m && m.reviewer && !state.self) {
      state.self = m.reviewer;
      state.names.set(m.reviewer, "You");
      const it = state.items.find((x) => x.id === id);
      if (it) {
        syncOwn(it);
        refresh(it);
      }
    }
  });
  queues.set(id, next.catch(() => {}));
  next.catch(async (err) => {
    // Take the change back, unless a later one has replaced it, so the
    // page never shows a mark the server does not hold.
    const own = { ...(state.own.get(id) || emptyMark()) };
    for (const k of Object.keys(change)) if (own[k] === change[k]) own[k] = before[k];
    state.own.set(id, own);
    const it = state.items.find((x) => x.id === id);
    if (it) {
      syncOwn(it);
      refresh(it);
    }
    showMessage(err.message + " That mark was not saved.", "error");
    await load(true); // and whatever else changed meanwhile
  });
}

function announce(change) {
  if (!liveEl) return;
  let t = "";
  if ("rating" in change) t = change.rating ? plural(change.rating, "star", "stars") : "No stars";
  if ("label" in change) t = change.label ? LABEL_NAMES[change.label] + " label" : "No label";
  if ("flag" in change) t = change.flag === "pick" ? "Picked" : change.flag === "reject" ? "Rejected" : "Unflagged";
  liveEl.textContent = t;
}

// ---- the grid -------------------------------------------------------------

function altOf(item, i) {
  return item.caption || item.filename || "Photo " + (i + 1) + " of " + state.items.length;
}

function badges(m) {
  const box = el("span", { className: "review-badges", "aria-hidden": "true" });
  if (m.rating > 0) box.append(el("span", { className: "badge-stars", text: "★".repeat(m.rating) }));
  if (m.label) box.append(el("span", { className: "badge-label label-" + m.label, title: LABEL_NAMES[m.label] }));
  if (m.flag === "pick") box.append(el("span", { className: "badge-flag is-pick", text: "Pick" }));
  if (m.flag === "reject") box.append(el("span", { className: "badge-flag is-reject", text: "Reject" }));
  return box;
}

function tileFor(item, i) {
  const ready = item.status === "ready" && item.thumb_width > 0;
  const li = el("li", { className: "tile review-tile", id: "review-tile-" + item.id, dataset: { id: item.id, status: ready ? "ready" : item.status } });
  li.dataset.w = String(ready ? item.thumb_width : item.width || 1);
  li.dataset.h = String(ready ? item.thumb_height : item.height || 1);
  const a = el("a", { className: "tile-link", href: "#photo-" + item.id });
  if (ready) {
    a.append(el("img", { src: item.thumb_url, width: item.thumb_width, height: item.thumb_height, loading: "lazy", decoding: "async", alt: altOf(item, i) }));
  } else {
    a.append(el("span", { className: "tile-state" }, icon(item.status === "failed" ? "alert" : "clock"),
      el("span", { text: item.status === "failed" ? "Could not be processed" : "Processing" })));
    a.append(el("span", { className: "visually-hidden", text: altOf(item, i) }));
  }
  a.append(el("span", { className: "visually-hidden review-tile-marks" }));
  li.append(a);
  a.addEventListener("click", (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openLoupe(indexOf(item.id), true);
  });
  if (ready) fadeIn(li);
  return li;
}

function indexOf(id) {
  return state.items.findIndex((it) => it.id === id);
}

// refresh redraws what shows one photo's marks: its tile, the count, and
// the loupe when it shows that photo.
function refresh(item) {
  drawTile(item);
  updateCount();
  if (loupe && loupe.dialog.open && state.items[state.current] === item) loupe.showMarks(item);
}

// drawTile puts a photo's marks on its tile.
function drawTile(item) {
  const li = state.tiles.get(item.id);
  if (li) {
    const m = shownMark(item);
    li.querySelector(".review-badges")?.remove();
    li.querySelector(".tile-link").append(badges(m));
    li.classList.toggle("is-rejected", m.flag === "reject");
    li.classList.toggle("is-picked", m.flag === "pick");
    const words = describeMark(m);
    li.querySelector(".review-tile-marks").textContent = words ? ": " + words : "";
  }
}

function updateCount() {
  if (!countEl) return;
  const total = state.items.length;
  const marked = state.items.filter((it) => isMarked(cfg.owner ? shownMark(it) : state.own.get(it.id))).length;
  let text = marked + " of " + total + " marked";
  if (cfg.owner) {
    const shown = visibleIndexes().length;
    if (shown !== total) text += " · " + shown + " shown";
  }
  if (countEl.textContent !== text) countEl.textContent = text;
}

function visibleIndexes() {
  const out = [];
  state.items.forEach((it, i) => {
    if (matches(it)) out.push(i);
  });
  return out;
}

function setCurrent(i, focus) {
  if (i < 0 || i >= state.items.length) return;
  const old = state.tiles.get(state.items[state.current]?.id);
  if (old) old.classList.remove("is-current");
  state.current = i;
  const li = state.tiles.get(state.items[i].id);
  if (li) {
    li.classList.add("is-current");
    if (focus) {
      const a = li.querySelector(".tile-link");
      a.focus({ preventScroll: true });
      li.scrollIntoView({ block: "nearest" });
    }
  }
}

// step moves the current photo by delta among those the filter shows.
function step(delta) {
  const order = visibleIndexes();
  if (!order.length) return -1;
  const at = order.indexOf(state.current);
  if (at < 0) return order[0];
  const to = at + delta;
  if (to < 0 || to >= order.length) return -1;
  return order[to];
}

// rowStep finds the photo above or below the current one in the grid: in
// the nearest row that way, the one whose middle is nearest.
function rowStep(dir) {
  const li = state.tiles.get(state.items[state.current]?.id);
  if (!li) return -1;
  const r = li.getBoundingClientRect();
  const mid = r.left + r.width / 2;
  const below = [];
  for (const i of visibleIndexes()) {
    const t = state.tiles.get(state.items[i].id).getBoundingClientRect();
    if (dir > 0 ? t.top >= r.bottom - 1 : t.bottom <= r.top + 1) below.push([i, t]);
  }
  if (!below.length) return -1;
  const row = dir > 0 ? Math.min(...below.map(([, t]) => t.top)) : Math.max(...below.map(([, t]) => t.top));
  let best = -1;
  let bestDist = Infinity;
  for (const [i, t] of below) {
    if (Math.abs(t.top - row) > 1) continue;
    const d = Math.abs(t.left + t.width / 2 - mid);
    if (d < bestDist) {
      best = i;
      bestDist = d;
    }
  }
  return best;
}

function applyFilter() {
  for (const it of state.items) {
    const li = state.tiles.get(it.id);
    if (!li) continue;
    li.hidden = !matches(it);
    if (cfg.owner) drawTile(it);
  }
  // The keys act on a photo that shows.
  const current = state.tiles.get(state.items[state.current]?.id);
  if (current && current.hidden) {
    const order = visibleIndexes();
    if (order.length) setCurrent(order[0], false);
  }
  if (grid) grid.schedule();
  updateCount();
  const q = filterQuery();
  for (const [a, kind] of exportLinks) a.href = cfg.exportBase + "/" + kind + (q ? "?" + q : "");
}

function filterQuery() {
  const q = new URLSearchParams();
  const f = state.filter;
  if (f.reviewer) q.set("reviewer", f.reviewer);
  if (f.minRating) q.set("min_rating", String(f.minRating));
  if (f.label) q.set("label", f.label);
  if (f.flag) q.set("flag", f.flag);
  return q.toString();
}

// ---- the bar above the grid -------------------------------------------------

function select(id, labelText, options, value, onChange) {
  const s = el("select", { id });
  for (const [v, text] of options) s.append(el("option", { value: v, text }));
  s.value = String(value);
  s.addEventListener("change", () => onChange(s.value));
  return el("div", { className: "review-filter" }, el("label", { for: id, text: labelText }), s);
}

function buildFilters() {
  const reviewerOptions = [["", "Everyone, combined"]];
  for (const r of state.reviewers) {
    let name = r.name || r.email || "Someone";
    if (r.via === "owner") name = "You";
    if (r.done_at) name += " (done)";
    reviewerOptions.push([r.id, name]);
  }
  const form = el("form", { className: "review-filters", "aria-label": "Filter photos" },
    select("review-filter-reviewer", "Reviewer", reviewerOptions, state.filter.reviewer, (v) => { state.filter.reviewer = v; applyFilter(); }),
    select("review-filter-rating", "Rating", [["0", "Any"], ["1", "★ or more"], ["2", "★★ or more"], ["3", "★★★ or more"], ["4", "★★★★ or more"], ["5", "★★★★★"]],
      state.filter.minRating, (v) => { state.filter.minRating = Number(v); applyFilter(); }),
    select("review-filter-label", "Label", [["", "Any"], ...LABELS.map((l) => [l, LABEL_NAMES[l]])], state.filter.label, (v) => { state.filter.label = v; applyFilter(); }),
    select("review-filter-flag", "Flag", [["", "Any"], ["pick", "Picks"], ["reject", "Rejects"]], state.filter.flag, (v) => { state.filter.flag = v; applyFilter(); }),
  );
  form.addEventListener("submit", (e) => e.preventDefault());
  return form;
}

function buildExports() {
  const box = el("div", { className: "review-exports", role: "group", "aria-label": "Export the selection" });
  exportLinks = [];
  for (const [kind, text, title] of [
    ["xmp", "XMP for Lightroom", "Sidecar files: in Lightroom, choose Metadata › Read Metadata from Files"],
    ["list", "File names", "One line to paste into Lightroom's file name filter"],
    ["csv", "CSV", "Every mark and comment, for a spreadsheet"],
  ]) {
    const a = el("a", { className: "button", href: cfg.exportBase + "/" + kind, download: true, title, dataset: { export: kind } }, icon("download"), el("span", { text }));
    exportLinks.push([a, kind]);
    box.append(a);
  }
  return box;
}

function buildBar() {
  countEl = el("p", { className: "review-count", role: "status", "aria-live": "polite" });
  const actions = el("div", { className: "review-actions" });
  if (cfg.download !== "none") {
    const what = cfg.download === "original" ? "originals" : "previews";
    actions.append(el("a", { className: "button", id: "review-download-all", href: cfg.api + "/zip", download: true,
      title: "A ZIP file of every photo (" + what + ")" }, icon("download"), el("span", { text: "Download all" })));
  }
  const keys = button("Keys", { className: "button button-quiet", id: "review-keys-button", "aria-keyshortcuts": "?", "aria-haspopup": "dialog" }, "info");
  keys.addEventListener("click", () => openKeys());
  actions.append(keys);
  if (cfg.done) {
    const done = button("I'm done", { className: "button button-primary", id: "review-done" }, "check");
    done.addEventListener("click", () => finish(done));
    actions.append(done);
  }
  const bar = el("div", { className: "review-bar" }, countEl, actions);
  const wrap = el("div", { className: "review-top" }, bar);
  if (cfg.owner) {
    wrap.append(el("div", { className: "review-owner" }, buildFilters(), cfg.exportBase ? buildExports() : null));
  }
  return wrap;
}

async function finish(btn) {
  btn.disabled = true;
  try {
    await send("POST", cfg.api + "/done");
    showMessage("Thank you. The photographer has been told you are done. You can still change your marks and comments while the link lasts.", "done");
  } catch (err) {
    showMessage(err.message, "error");
  } finally {
    btn.disabled = false;
  }
}

function showMessage(text, kind) {
  messageEl.hidden = false;
  messageEl.className = kind === "error" ? "form-error review-message" : "notice review-message";
  messageEl.setAttribute("role", kind === "error" ? "alert" : "status");
  messageEl.replaceChildren(icon(kind === "error" ? "alert" : "check"), el("span", { text }));
  messageEl.dataset.kind = kind;
}

// ---- the loupe --------------------------------------------------------------

function starButtons(onPick) {
  const group = el("div", { className: "mark-stars", role: "group", "aria-label": "Rating" });
  const buttons = [];
  for (let n = 1; n <= 5; n++) {
    const b = el("button", { type: "button", className: "mark-star", "aria-label": plural(n, "star", "stars"), "aria-keyshortcuts": String(n), title: plural(n, "star", "stars") + " (" + n + ")", "aria-pressed": "false" }, "★");
    b.addEventListener("click", (e) => onPick(n, e));
    buttons.push(b);
    group.append(b);
  }
  return { group, buttons };
}

function buildLoupe() {
  const title = el("h2", { className: "loupe-title", id: "loupe-title" });
  const back = button("All photos", { className: "button button-quiet", "aria-keyshortcuts": "Escape", title: "Back to the grid (Esc or Space)" }, "back");
  const prev = el("button", { type: "button", className: "button button-quiet icon-button", "aria-keyshortcuts": "ArrowLeft", title: "Previous (←)" }, icon("chevron-left"), el("span", { className: "visually-hidden", text: "Previous photo" }));
  const next = el("button", { type: "button", className: "button button-quiet icon-button", "aria-keyshortcuts": "ArrowRight", title: "Next (→)" }, icon("chevron-right"), el("span", { className: "visually-hidden", text: "Next photo" }));
  const downloads = el("div", { className: "loupe-downloads" });
  const keys = el("button", { type: "button", className: "button button-quiet icon-button", "aria-keyshortcuts": "?", title: "Keys (?)" }, icon("info"), el("span", { className: "visually-hidden", text: "Keyboard shortcuts" }));
  const bar = el("div", { className: "loupe-bar" }, back, title, el("nav", { className: "loupe-nav", "aria-label": "Photos" }, prev, next), downloads, keys);

  const img = el("img", { className: "loupe-image", alt: "" });
  const stateBox = el("div", { className: "viewer-state", hidden: true });
  const stage = el("figure", { className: "loupe-stage", tabindex: "-1" }, img, stateBox);

  // Z (or a click on the photo) shows it at 100 %: the original when the
  // visitor may download it and browsers can show its format, else the
  // preview. The stage then scrolls; Z again fits it back.
  let zoomed = false;
  function zoomURL(item) {
    const showable = ["jpeg", "png", "webp", "avif"].includes(item.format);
    return cfg.download === "original" && item.original_url && showable ? item.original_url : item.preview_url;
  }
  function setZoom(on) {
    const item = state.items[loupeAt];
    if (!item || item.status !== "ready") return;
    zoomed = on;
    stage.classList.toggle("is-zoomed", on);
    img.title = on ? "Fit to the window (Z)" : "Zoom to 100 % (Z)";
    const want = on ? zoomURL(item) : item.preview_url;
    if (img.getAttribute("src") !== want) {
      img.removeAttribute("width");
      img.removeAttribute("height");
      img.src = want;
    }
    if (on) {
      // Centre the 100 % view once the image knows its size.
      const centre = () => {
        stage.scrollLeft = (stage.scrollWidth - stage.clientWidth) / 2;
        stage.scrollTop = (stage.scrollHeight - stage.clientHeight) / 2;
      };
      if (img.complete) centre();
      else img.addEventListener("load", centre, { once: true });
    }
  }
  img.addEventListener("click", () => setZoom(!zoomed));

  const panel = el("aside", { className: "loupe-panel", "aria-label": "Marks and comments" });
  // The visitor's own marks.
  let stars = null;
  const labelButtons = new Map();
  const flagButtons = new Map();
  if (cfg.canReview) {
    const setMark = (change, e) => {
      const item = state.items[state.current];
      mark(item, change);
      if (e && e.detail > 0) stage.focus({ preventScroll: true }); // clicked: the keys go on working
    };
    stars = starButtons((n, e) => {
      const own = state.own.get(state.items[state.current].id) || emptyMark();
      setMark({ rating: own.rating === n ? 0 : n }, e);
    });
    const labels = el("div", { className: "mark-labels", role: "group", "aria-label": "Colour label" });
    LABELS.forEach((l, i) => {
      const key = i < 4 ? String(i + 6) : "";
      const b = el("button", { type: "button", className: "mark-label label-" + l, "aria-pressed": "false", "aria-keyshortcuts": key || undefined,
        title: LABEL_NAMES[l] + (key ? " (" + key + ")" : "") }, el("span", { className: "visually-hidden", text: LABEL_NAMES[l] + " label" }));
      b.addEventListener("click", (e) => {
        const own = state.own.get(state.items[state.current].id) || emptyMark();
        setMark({ label: own.label === l ? "" : l }, e);
      });
      labelButtons.set(l, b);
      labels.append(b);
    });
    const flags = el("div", { className: "mark-flags", role: "group", "aria-label": "Flag" });
    for (const [f, text, key] of [["pick", "Pick", "P"], ["reject", "Reject", "X"]]) {
      const b = el("button", { type: "button", className: "button mark-flag is-" + f, "aria-pressed": "false", "aria-keyshortcuts": key, title: text + " (" + key + ")" },
        icon(f === "pick" ? "check" : "close"), el("span", { text }));
      b.addEventListener("click", (e) => {
        const own = state.own.get(state.items[state.current].id) || emptyMark();
        setMark({ flag: own.flag === f ? "" : f }, e);
      });
      flagButtons.set(f, b);
      flags.append(b);
    }
    panel.append(el("section", { className: "loupe-section loupe-marks", "aria-labelledby": "loupe-marks-heading" },
      el("h3", { id: "loupe-marks-heading", text: "Your marks" }), stars.group, labels, flags));
  }
  // The owner: every reviewer's marks and the combined verdict.
  const everyone = el("ul", { className: "loupe-everyone" });
  const combined = el("p", { className: "loupe-combined" });
  if (cfg.owner) {
    panel.append(el("section", { className: "loupe-section", "aria-labelledby": "loupe-everyone-heading" },
      el("h3", { id: "loupe-everyone-heading", text: "Everyone's marks" }), combined, everyone));
  }
  // Comments.
  const comments = el("ol", { className: "comment-list" });
  const noComments = el("p", { className: "muted comment-empty", text: "No comments yet." });
  const commentSection = el("section", { className: "loupe-section loupe-comments", "aria-labelledby": "loupe-comments-heading" },
    el("h3", { id: "loupe-comments-heading", text: "Comments" }), noComments, comments);
  let form = null;
  if (cfg.canReview) {
    const area = el("textarea", { id: "review-comment", name: "body", rows: "3", maxlength: "5000", "aria-describedby": "review-comment-error" });
    const err = el("p", { className: "field-error", id: "review-comment-error", hidden: true });
    const submit = el("button", { type: "submit", className: "button" }, el("span", { text: "Add comment" }));
    form = el("form", { className: "form comment-form", novalidate: true },
      el("div", { className: "field" }, el("label", { for: "review-comment", text: "Add a comment" }), area, err), submit);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = area.value.trim();
      err.hidden = true;
      area.removeAttribute("aria-invalid");
      if (!body) {
        err.textContent = "Write something first.";
        err.hidden = false;
        area.setAttribute("aria-invalid", "true");
        area.focus();
        return;
      }
      const item = state.items[state.current];
      submit.disabled = true;
      try {
        const c = await send("POST", assetURL(item, "comments"), { body });
        if (c.author && !state.self) {
          state.self = c.author;
          state.names.set(c.author, "You");
        }
        item.comments.push(c);
        area.value = "";
        if (state.items[state.current] === item) showComments(item);
        liveEl.textContent = "Comment added.";
      } catch (x) {
        err.textContent = x.message;
        err.hidden = false;
        area.setAttribute("aria-invalid", "true");
      } finally {
        submit.disabled = false;
      }
    });
    commentSection.append(form);
  }
  panel.append(commentSection);
  if (cfg.canReview) {
    panel.append(el("p", { className: "loupe-keys muted" }, el("kbd", { text: "1" }), "–", el("kbd", { text: "5" }), " stars · ",
      el("kbd", { text: "6" }), "–", el("kbd", { text: "9" }), " labels · ", el("kbd", { text: "P" }), " pick · ", el("kbd", { text: "X" }), " reject · ",
      el("kbd", { text: "?" }), " all keys"));
  }

  const dialog = el("dialog", { className: "review-loupe", "aria-labelledby": "loupe-title" },
    bar, el("div", { className: "loupe-body" }, stage, panel));
  document.body.append(dialog);

  back.addEventListener("click", () => closeLoupe());
  prev.addEventListener("click", () => moveLoupe(-1));
  next.addEventListener("click", () => moveLoupe(1));
  keys.addEventListener("click", () => openKeys());
  dialog.addEventListener("cancel", (e) => {
    e.preventDefault(); // Escape: back to the grid, through the history
    closeLoupe();
  });
  // The browser may close a modal dialog by itself (a second Escape in a
  // row): leave the page as closeLoupe would.
  dialog.addEventListener("close", () => {
    if (hiding) return;
    document.documentElement.classList.remove("has-loupe");
    if (location.hash) {
      if (pushed && history.state && history.state.reviewLoupe) history.back();
      else history.replaceState(history.state, "", location.pathname + location.search);
    }
    pushed = false;
    setCurrent(loupeAt, true); // see hideLoupe
  });

  function showComments(item) {
    comments.replaceChildren();
    for (const c of item.comments) {
      const when = new Date(c.created_at);
      const name = state.names.get(c.author) || (c.author === state.self ? "You" : cfg.owner ? "Someone" : "Another person");
      comments.append(el("li", { className: "comment" },
        el("p", { className: "comment-meta" }, el("strong", { text: name }), " · ",
          el("time", { datetime: c.created_at, text: isNaN(when) ? "" : when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) })),
        el("p", { className: "comment-body", text: c.body })));
    }
    noComments.hidden = item.comments.length > 0;
  }

  function showMarks(item) {
    if (stars) {
      const own = state.own.get(item.id) || emptyMark();
      stars.buttons.forEach((b, i) => {
        b.setAttribute("aria-pressed", String(own.rating === i + 1));
        b.classList.toggle("is-on", i < own.rating);
      });
      for (const [l, b] of labelButtons) b.setAttribute("aria-pressed", String(own.label === l));
      for (const [f, b] of flagButtons) b.setAttribute("aria-pressed", String(own.flag === f));
    }
    if (cfg.owner) {
      const v = verdict(selectedMarks(item));
      const words = describeMark(v);
      combined.textContent = (state.filter.reviewer ? "Selected reviewer: " : "Combined: ") + (words || "no marks");
      everyone.replaceChildren();
      for (const m of item.marks) {
        if (!isMarked(m)) continue;
        everyone.append(el("li", {}, el("strong", { text: state.names.get(m.reviewer) || "Someone" }), " ", badges(m),
          el("span", { className: "visually-hidden", text: describeMark(m) })));
      }
      if (!everyone.children.length) everyone.append(el("li", { className: "muted", text: "Nobody has marked this photo yet." }));
    }
  }

  function show(i) {
    const item = state.items[i];
    if (zoomed) {
      zoomed = false;
      stage.classList.remove("is-zoomed");
    }
    img.title = "Zoom to 100 % (Z)";
    const order = visibleIndexes();
    const at = order.indexOf(i);
    title.textContent = "Photo " + (at + 1) + " of " + order.length;
    prev.disabled = at <= 0;
    next.disabled = at < 0 || at >= order.length - 1;
    const ready = item.status === "ready";
    img.hidden = !ready;
    stateBox.hidden = ready;
    if (ready) {
      if (img.getAttribute("src") !== item.preview_url) {
        img.removeAttribute("src");
        if (item.preview_width) {
          img.width = item.preview_width;
          img.height = item.preview_height;
        }
        img.src = item.preview_url;
      }
      img.alt = altOf(item, i);
    } else {
      stateBox.replaceChildren(icon(item.status === "failed" ? "alert" : "clock"),
        el("h2", { text: item.status === "failed" ? "This photo could not be processed" : "Still being processed" }));
    }
    downloads.replaceChildren();
    if (ready && (cfg.download === "preview" || cfg.download === "original")) {
      downloads.append(el("a", { className: "button button-quiet", href: item.preview_url + "?download=1", download: true, id: "loupe-download-preview" },
        icon("download"), el("span", { text: "Preview" }), el("span", { className: "visually-hidden", text: " (download)" })));
    }
    if (ready && cfg.download === "original" && item.original_url) {
      downloads.append(el("a", { className: "button button-quiet", href: item.original_url, download: true, id: "loupe-download-original" },
        icon("download"), el("span", { text: "Original" }), el("span", { className: "visually-hidden", text: " (download)" })));
    }
    showMarks(item);
    showComments(item);
    // The next step is instant: fetch the neighbours' previews ahead.
    for (const j of [step(1), step(-1)]) {
      if (j >= 0 && state.items[j].status === "ready") {
        const pre = new Image();
        pre.decoding = "async";
        pre.src = state.items[j].preview_url;
      }
    }
  }

  return { dialog, stage, show, showMarks, showComments, toggleZoom: () => setZoom(!zoomed), isZoomed: () => zoomed };
}

let pushed = false; // the open loupe has its own history entry
let hiding = false; // hideLoupe is closing the dialog
let loupeAt = 0; // index of the photo the loupe shows

function openLoupe(i, push) {
  if (i < 0) return;
  if (!loupe) loupe = buildLoupe();
  loupeAt = i;
  setCurrent(i, false);
  loupe.show(i);
  const hash = "#photo-" + state.items[i].id;
  if (!loupe.dialog.open) {
    if (push) {
      history.pushState({ reviewLoupe: true }, "", hash);
      pushed = true;
    } else {
      history.replaceState(history.state, "", hash);
    }
    document.documentElement.classList.add("has-loupe");
    loupe.dialog.showModal();
  } else {
    history.replaceState(history.state, "", hash);
  }
  loupe.stage.focus({ preventScroll: true });
}

function moveLoupe(delta) {
  const j = step(delta);
  if (j >= 0) openLoupe(j, false);
}

// closeLoupe goes back to the grid; the history entry the loupe made is
// left with it, so that the browser's back button and Escape agree.
function closeLoupe() {
  if (pushed && history.state && history.state.reviewLoupe) {
    history.back(); // popstate hides the loupe
    return;
  }
  history.replaceState(history.state, "", location.pathname + location.search);
  hideLoupe();
}

function hideLoupe() {
  pushed = false;
  if (!loupe || !loupe.dialog.open) return;
  hiding = true;
  loupe.dialog.close();
  hiding = false;
  document.documentElement.classList.remove("has-loupe");
  // Closing gave focus back to the tile the loupe was opened from, which
  // made it current: the photo the loupe showed is.
  setCurrent(loupeAt, true);
}

function fromHash() {
  const m = /^#photo-(.+)$/.exec(location.hash);
  return m ? indexOf(decodeURIComponent(m[1])) : -1;
}

addEventListener("popstate", () => {
  const i = fromHash();
  if (i >= 0) {
    pushed = !!(history.state && history.state.reviewLoupe);
    openLoupe(i, false);
  } else {
    hideLoupe();
  }
});

// ---- the key map ------------------------------------------------------------

function openKeys() {
  if (!keysDialog) {
    const rows = [
      ["← →", "Previous or next photo"],
      ["↑ ↓", "Photo above or below, in the grid"],
      ["Space", "Open the photo, or go back to the grid"],
      ["Esc", "Back to the grid"],
      ["Z", "In the photo: 100 % and back (the original when you may download it)"],
    ];
    if (cfg.canReview) {
      rows.push(["1 – 5", "Stars"], ["0", "No stars"], ["6 7 8 9", "Red, yellow, green, blue label (purple: in the panel)"],
        ["P", "Pick"], ["X", "Reject"], ["U", "Unflag"]);
    }
    rows.push(["?", "This list"]);
    const dl = el("dl", { className: "keys-list" });
    for (const [k, what] of rows) dl.append(el("div", {}, el("dt", {}, el("kbd", { text: k })), el("dd", { text: what })));
    const close = button("Close", { className: "button" }, "close");
    keysDialog = el("dialog", { className: "review-keys", "aria-labelledby": "review-keys-heading" },
      el("h2", { id: "review-keys-heading", text: "Keyboard shortcuts" }), dl, el("p", {}, close));
    close.addEventListener("click", () => keysDialog.close());
    document.body.append(keysDialog);
  }
  if (!keysDialog.open) keysDialog.showModal();
}

// ---- keys -------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !state.items.length) return;
  const t = e.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  // Another dialog of the page (such as a share dialog) has the keys.
  for (const d of document.querySelectorAll("dialog[open]")) if (d !== keysDialog && (!loupe || d !== loupe.dialog)) return;
  if (keysDialog && keysDialog.open) {
    if (e.key === "?") {
      e.preventDefault();
      keysDialog.close();
    }
    return;
  }
  const inLoupe = loupe && loupe.dialog.open;
  const item = state.items[state.current];
  const key = e.key;
  const done = () => e.preventDefault();
  if (key === "?") return done(), openKeys();
  if (key === "Escape" && inLoupe) {
    done();
    return loupe.isZoomed() ? loupe.toggleZoom() : closeLoupe();
  }
  if ((key === "z" || key === "Z") && inLoupe) return done(), loupe.toggleZoom();
  if (key === "ArrowRight" || key === "ArrowLeft") {
    done();
    const d = key === "ArrowRight" ? 1 : -1;
    if (inLoupe) moveLoupe(d);
    else {
      const j = step(d);
      if (j >= 0) setCurrent(j, true);
    }
    return;
  }
  if (!inLoupe && (key === "ArrowDown" || key === "ArrowUp")) {
    done();
    const j = rowStep(key === "ArrowDown" ? 1 : -1);
    if (j >= 0) setCurrent(j, true);
    return;
  }
  if (!inLoupe && (key === "Home" || key === "End")) {
    const order = visibleIndexes();
    if (order.length) {
      done();
      setCurrent(key === "Home" ? order[0] : order[order.length - 1], true);
    }
    return;
  }
  if (key === " " || key === "Enter") {
    // Space and Enter on a control press it; elsewhere Space is grid ⇄ loupe.
    if (t.closest && t.closest("button, summary, a:not(.tile-link)")) return;
    if (inLoupe) {
      if (key === " ") {
        done();
        closeLoupe();
      }
      return;
    }
    done();
    openLoupe(state.current, true);
    return;
  }
  if (!cfg.canReview || !item) return;
  const own = state.own.get(item.id) || emptyMark();
  if (/^[0-5]$/.test(key)) return done(), mark(item, { rating: Number(key) });
  if (LABEL_KEYS[key]) return done(), mark(item, { label: own.label === LABEL_KEYS[key] ? "" : LABEL_KEYS[key] });
  switch (key.toLowerCase()) {
    case "p":
      return done(), mark(item, { flag: "pick" });
    case "x":
      return done(), mark(item, { flag: "reject" });
    case "u":
      return done(), mark(item, { flag: "" });
  }
});

// ---- loading ----------------------------------------------------------------

async function load(again) {
  let data;
  try {
    data = await send("GET", cfg.items);
  } catch (err) {
    if (!again) {
      const retry = button("Try again", { className: "button" });
      retry.addEventListener("click", () => {
        root.replaceChildren(el("p", { className: "muted review-loading", text: "Loading photos…" }));
        load(false);
      });
      root.replaceChildren(el("div", { className: "form-error", role: "alert" }, icon("alert"), el("span", { text: "The photos could not be loaded. " + err.message })), el("p", {}, retry));
    }
    return;
  }
  state.items = (data.items || []).map((it) => ({ ...it, marks: it.marks || [], comments: it.comments || [] }));
  if (cfg.owner && cfg.reviewers) {
    try {
      state.reviewers = (await send("GET", cfg.reviewers)).items || [];
    } catch {
      state.reviewers = [];
    }
    for (const r of state.reviewers) {
      state.names.set(r.id, r.via === "owner" ? "You" : r.name || r.email || "Someone");
      if (r.via === "owner") state.self = r.id;
    }
  }
  if (!cfg.owner && !state.self) {
    // Only the visitor's own marks come to anyone but the owner.
    for (const it of state.items) if (it.marks.length) state.self = it.marks[0].reviewer;
  }
  if (state.self) state.names.set(state.self, "You");
  state.own.clear();
  for (const it of state.items) {
    const m = cfg.owner ? it.marks.find((x) => x.reviewer === state.self) : it.marks[0];
    if (m && (!state.self || m.reviewer === state.self)) state.own.set(it.id, { rating: m.rating || 0, label: m.label || "", flag: m.flag || "" });
  }
  render(again);
}

function render(again) {
  const scrollY = window.scrollY;
  const keepCurrent = again ? state.items[state.current]?.id : "";
  const top = buildBar();
  messageEl = again && messageEl ? messageEl : el("div", { className: "review-message", hidden: true });
  liveEl = el("p", { className: "visually-hidden", "aria-live": "polite" });
  if (!state.items.length) {
    root.replaceChildren(top, messageEl, liveEl, el("div", { className: "empty-state review-empty" }, icon("image"), el("h2", { text: "No photos here yet" }),
      el("p", { text: "When photos are added, they appear here." })));
    updateCount();
    root.dataset.ready = "true";
    return;
  }
  list = el("ul", { className: "grid review-grid", id: "review-grid", "aria-label": "Photos" });
  state.tiles.clear();
  state.items.forEach((it, i) => {
    const li = tileFor(it, i);
    state.tiles.set(it.id, li);
    list.append(li);
  });
  root.replaceChildren(top, messageEl, liveEl, list);
  grid = new JustifiedGrid(list);
  list.addEventListener("focusin", (e) => {
    const li = e.target.closest(".review-tile");
    if (li) setCurrent(indexOf(li.dataset.id), false);
  });
  for (const it of state.items) drawTile(it);
  applyFilter();
  const keep = keepCurrent ? indexOf(keepCurrent) : -1;
  setCurrent(keep >= 0 ? keep : visibleIndexes()[0] ?? 0, false);
  if (again) {
    window.scrollTo(0, scrollY);
    if (loupe && loupe.dialog.open) loupe.show(state.current);
  } else {
    const i = fromHash();
    if (i >= 0) openLoupe(i, false);
  }
  root.dataset.ready = "true"; // for people and tests: the keys work now
}

root.replaceChildren(el("p", { className: "muted review-loading", text: "Loading photos…" }));
load(false);
