// jury.js — judging a round: a justified grid (grid.js) of what the round
// judges, a loupe whose preview fills the window with the entry's title,
// statement and the scoring control beside it, and keys: 1–5 stars or
// Y/N, arrows to move, Enter to open, Esc to close. Each score is saved at
// once (PUT …/vote) and the tile says whether it was; "N of M scored"
// counts what the server holds. A juror may recuse themselves from an
// entry (a conflict of interest): it greys out and is no longer theirs to
// score. C pins the entry shown (opening the loupe); moving on then sets the
// pinned entry and the current one side by side, each with its own score
// buttons (the keys score the current one, on the right), and C again
// ends the comparison.
//
// The page carries the round and its items as JSON (#jury-data), so the
// grid draws without a request. Only jury copies are shown: derived JPEGs
// without metadata, through the round's own URLs. Everything from the
// server is put on the page as text, never parsed as markup.
import { JustifiedGrid, fadeIn, svgIcon } from "./grid.js";
import "./manage.js"; // asks before the managers' forms that cannot be undone

const root = document.getElementById("jury");
const data = JSON.parse(document.getElementById("jury-data").textContent);
const sprite = (document.querySelector("svg.icon use")?.getAttribute("href") || "").split("#")[0];

const STARS = data.mode === "stars_avg" || data.mode === "stars_sum";
const YESNO = data.mode === "yesno";
const canScore = data.juror && data.open && (STARS || YESNO);

const items = (data.items || []).map((it, i) => ({ ...it, index: i, saved: it.score ?? null, state: "", shown: 0 }));
const list = document.getElementById("jury-grid");
const countEl = document.getElementById("jury-count");
const messageEl = document.getElementById("jury-message");
const tiles = [];
let current = 0;
let loupe = null;

// ---- small helpers ------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "className") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k === "hidden") e.hidden = true;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function icon(id) {
  return sprite ? svgIcon(sprite, id) : null;
}

function sentence(s) {
  s = String(s || "").trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

function nameOf(it) {
  return it.title || "Untitled entry";
}

// scoreWords says a score as people read it.
function scoreWords(score) {
  if (score === null || score === undefined) return "";
  if (YESNO) return score === 1 ? "Yes" : "No";
  return score + (score === 1 ? " star" : " stars");
}

function showMessage(text, kind) {
  messageEl.hidden = !text;
  messageEl.className = kind === "error" ? "form-error review-message" : "notice review-message";
  messageEl.setAttribute("role", kind === "error" ? "alert" : "status");
  messageEl.replaceChildren(icon(kind === "error" ? "alert" : "check"), el("span", { text }));
}

// ---- the API --------------------------------------------------------------------

async function failure(res) {
  let msg = "";
  try {
    msg = (await res.json()).error || "";
  } catch {
    // not JSON: the status says it
  }
  if (res.status === 401) return "Your session has ended. Sign in again, then reload this page.";
  if (res.status === 404) return "This entry is no longer in the round. Reload the page to see what is.";
  if (res.status === 429) return "Too many requests at once. Wait a moment, then try again.";
  if (res.status >= 500) return "The server could not save this. Please try again in a moment.";
  return msg ? sentence(msg) : "That did not work (error " + res.status + ").";
}

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
    throw new Error("Could not reach the server. Check your connection, then try again.");
  }
  if (!res.ok) throw new Error(await failure(res));
  return res.status === 204 ? null : res.json();
}

function entryURL(it) {
  return data.api + "/entries/" + encodeURIComponent(it.entry_id);
}

// ---- scores -----------------------------------------------------------------------

const queues = new Map(); // item key → the promise of its last save

// score gives item i a score at once on the page and saves it; saves of
// one item go one after another, in order.
function score(i, value) {
  const it = items[i];
  if (!canScore || !it) return;
  if (it.recused) {
    showMessage("You recused yourself from “" + nameOf(it) + "”: it is not yours to score.", "error");
    return;
  }
  it.score = value;
  it.state = "saving";
  draw(it);
  const prev = queues.get(it.key) || Promise.resolve();
  const next = prev.then(() => send("PUT", entryURL(it) + "/vote", { score: value, image_id: it.image_id || undefined }));
  queues.set(it.key, next.catch(() => {}));
  next.then(
    () => {
      it.saved = value;
      if (it.score === value) it.state = "saved";
      draw(it);
      updateCount();
    },
    (err) => {
      // Show what the server holds, unless a later score replaced this one.
      if (it.score === value) {
        it.score = it.saved;
        it.state = "error";
      }
      draw(it);
      showMessage(err.message + " That score was not saved.", "error");
    },
  );
}

function updateCount() {
  if (!data.juror) return;
  const mine = items.filter((it) => !it.recused);
  const scored = mine.filter((it) => it.saved !== null).length;
  const text = scored + " of " + mine.length + " scored";
  if (countEl.textContent !== text) countEl.textContent = text;
  root.dataset.scored = String(scored);
}

async function recuse(it, button) {
  button.disabled = true;
  try {
    await send("POST", entryURL(it) + "/recuse");
  } catch (err) {
    button.disabled = false;
    showMessage(err.message, "error");
    return;
  }
  // A recusal is from the whole entry: every image of it.
  for (const other of items) {
    if (other.entry_id === it.entry_id) {
      other.recused = true;
      draw(other);
    }
  }
  updateCount();
  showMessage("You recused yourself from “" + nameOf(it) + "”. Your votes on it are not counted.", "done");
}

// ---- the grid ---------------------------------------------------------------------

function tileFor(it) {
  const img = it.images[0];
  const li = el("li", { className: "tile review-tile jury-tile", id: "jury-item-" + it.index });
  li.dataset.key = it.key;
  li.dataset.w = String(img ? img.width || 1 : 1);
  li.dataset.h = String(img ? img.height || 1 : 1);
  const a = el("a", { className: "tile-link", href: "#item-" + (it.index + 1) });
  if (img) {
    a.append(el("img", { src: img.thumb, width: img.width, height: img.height, loading: "lazy", decoding: "async", alt: nameOf(it) }));
  } else {
    li.dataset.status = "failed";
    a.append(el("span", { className: "tile-state" }, icon("image"), el("span", { text: "No image to show" })));
    a.append(el("span", { className: "visually-hidden", text: nameOf(it) }));
  }
  if (it.images.length > 1) a.append(el("span", { className: "jury-count-badge", text: it.images.length + " images" }));
  a.append(el("span", { className: "review-badges", "aria-hidden": "true" }));
  a.append(el("span", { className: "jury-tile-state", "aria-hidden": "true" }));
  a.append(el("span", { className: "visually-hidden jury-tile-words" }));
  a.addEventListener("click", (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    openLoupe(it.index);
  });
  li.append(a);
  if (img) fadeIn(li);
  return li;
}

// draw shows one item's score, save state and recusal on its tile, and
// in the loupe when it shows that item.
function draw(it) {
  const li = tiles[it.index];
  if (li) {
    const badges = li.querySelector(".review-badges");
    badges.replaceChildren();
    if (it.recused) badges.append(el("span", { className: "badge-flag", text: "Recused" }));
    else if (it.score !== null && it.score !== undefined) {
      badges.append(STARS ? el("span", { className: "badge-stars", text: "★".repeat(it.score) }) : el("span", { className: "badge-flag" + (it.score ? " is-pick" : " is-reject"), text: it.score ? "Yes" : "No" }));
    }
    const st = li.querySelector(".jury-tile-state");
    st.textContent = it.state === "saving" ? "Saving…" : it.state === "saved" ? "Saved" : it.state === "error" ? "Not saved" : "";
    li.dataset.state = it.state;
    li.classList.toggle("is-recused", !!it.recused);
    li.classList.toggle("is-scored", it.saved !== null && !it.recused);
    const words = [it.recused ? "recused" : scoreWords(it.score), st.textContent].filter(Boolean).join(", ");
    li.querySelector(".jury-tile-words").textContent = words ? ": " + words : "";
  }
  if (loupe && loupe.dialog.open) loupe.refresh(it);
}

function setCurrent(i, focus) {
  if (i < 0 || i >= items.length) return;
  tiles[current]?.classList.remove("is-current");
  current = i;
  const li = tiles[i];
  li.classList.add("is-current");
  if (focus) {
    li.querySelector(".tile-link").focus({ preventScroll: true });
    li.scrollIntoView({ block: "nearest" });
  }
}

// rowStep finds the item above or below the current one: in the nearest
// row that way, the one whose middle is nearest.
function rowStep(dir) {
  const r = tiles[current].getBoundingClientRect();
  const mid = r.left + r.width / 2;
  const cands = [];
  tiles.forEach((li, i) => {
    const t = li.getBoundingClientRect();
    if (dir > 0 ? t.top >= r.bottom - 1 : t.bottom <= r.top + 1) cands.push([i, t]);
  });
  if (!cands.length) return -1;
  const row = dir > 0 ? Math.min(...cands.map(([, t]) => t.top)) : Math.max(...cands.map(([, t]) => t.top));
  let best = -1;
  let dist = Infinity;
  for (const [i, t] of cands) {
    if (Math.abs(t.top - row) > 1) continue;
    const d = Math.abs(t.left + t.width / 2 - mid);
    if (d < dist) {
      best = i;
      dist = d;
    }
  }
  return best;
}

// ---- the loupe ---------------------------------------------------------------------

// scoreControl is a row of score buttons (stars or Yes/No) with the line
// that says whether the score is saved, for the item whose index which()
// gives: the loupe's panel scores the current item, and each side of a
// comparison its own. label names the group for screen readers; stateId
// is the save line's id.
function scoreControl(which, label, stateId) {
  const buttons = [];
  const box = el("div", { className: STARS ? "mark-stars" : "mark-flags", role: "group", "aria-label": label });
  if (STARS) {
    for (let n = 1; n <= 5; n++) {
      const b = el("button", { type: "button", className: "mark-star", "aria-label": scoreWords(n), title: scoreWords(n), "aria-pressed": "false" }, "★");
      b.addEventListener("click", () => score(which(), n));
      buttons.push([n, b]);
      box.append(b);
    }
  } else if (YESNO) {
    for (const [v, text] of [[1, "Yes"], [0, "No"]]) {
      const b = el("button", { type: "button", className: "button mark-flag" + (v ? "" : " is-reject"), "aria-pressed": "false" }, text);
      b.addEventListener("click", () => score(which(), v));
      buttons.push([v, b]);
      box.append(b);
    }
  }
  const saveState = el("p", { className: "jury-save-state", id: stateId, role: "status" });

  // keys marks the buttons with the keys that press them, when they do.
  function keys(on) {
    for (const [v, b] of buttons) {
      const key = STARS ? String(v) : v ? "Y" : "N";
      if (on) b.setAttribute("aria-keyshortcuts", key);
      else b.removeAttribute("aria-keyshortcuts");
      b.title = (STARS ? scoreWords(v) : v ? "Yes" : "No") + (on ? " (" + key + ")" : "");
    }
  }

  function update(it) {
    for (const [v, b] of buttons) {
      b.setAttribute("aria-pressed", String(it.score === v));
      b.classList.toggle("is-on", STARS && it.score !== null && v <= it.score);
      b.disabled = !!it.recused;
    }
    saveState.className = "jury-save-state" + (it.state === "error" ? " is-error" : "");
    saveState.textContent = it.recused ? "You recused yourself from this entry."
      : it.state === "saving" ? "Saving " + scoreWords(it.score).toLowerCase() + "…"
        : it.state === "error" ? "Not saved. Try again."
          : it.saved !== null ? "Saved: " + scoreWords(it.saved).toLowerCase() + "."
            : canScore ? "Not scored yet." : "";
  }

  keys(true);
  return { box, saveState, update, keys };
}

// comparePane is one side of a comparison: the entry's preview, its
// title, and its own score control.
function comparePane(side, which, label) {
  const img = el("img", { className: "jury-compare-image", alt: "" });
  const empty = el("div", { className: "viewer-state", hidden: true }, icon("image"), el("p", { text: "No image to show" }));
  const tag = el("p", { className: "jury-compare-tag", id: "jury-compare-tag-" + side });
  const name = el("h3", { className: "jury-compare-title", id: "jury-compare-title-" + side });
  const control = scoreControl(which, label, "jury-save-state-" + side);
  const caption = el("figcaption", { className: "jury-compare-caption" }, tag, name);
  if (canScore) caption.append(control.box, control.saveState);
  const pane = el("figure", { className: "jury-compare-pane jury-compare-" + side, "aria-labelledby": "jury-compare-tag-" + side + " jury-compare-title-" + side },
    el("div", { className: "jury-compare-frame" }, img, empty), caption);

  function show(it, words) {
    const im = it.images[Math.min(it.shown, Math.max(0, it.images.length - 1))];
    img.hidden = !im;
    empty.hidden = !!im;
    if (im && img.getAttribute("src") !== im.preview) {
      img.removeAttribute("src");
      img.width = im.width;
      img.height = im.height;
      img.src = im.preview;
    }
    img.alt = nameOf(it);
    tag.textContent = words;
    name.textContent = nameOf(it);
    control.update(it);
  }

  return { pane, show, control };
}

function buildLoupe() {
  const title = el("h2", { className: "loupe-title", id: "jury-loupe-title" });
  const back = el("button", { type: "button", className: "button button-quiet", "aria-keyshortcuts": "Escape", title: "Back to the grid (Esc)" }, icon("back"), el("span", { text: "All entries" }));
  const compareButton = el("button", { type: "button", className: "button button-quiet", id: "jury-compare", "aria-keyshortcuts": "C", "aria-describedby": "jury-compare-status" },
    icon("compare"), el("span", { text: "Compare" }));
  const prev = el("button", { type: "button", className: "button button-quiet icon-button", "aria-keyshortcuts": "ArrowLeft", title: "Previous (←)" }, icon("chevron-left"), el("span", { className: "visually-hidden", text: "Previous" }));
  const next = el("button", { type: "button", className: "button button-quiet icon-button", "aria-keyshortcuts": "ArrowRight", title: "Next (→)" }, icon("chevron-right"), el("span", { className: "visually-hidden", text: "Next" }));
  const bar = el("div", { className: "loupe-bar" }, back, title, compareButton, el("nav", { className: "loupe-nav", "aria-label": "Entries" }, prev, next));
  // What the comparison is, and which entry the keys score: shown while
  // an entry is pinned, said by screen readers as it changes.
  const compareStatus = el("p", { className: "jury-compare-status visually-hidden", id: "jury-compare-status", role: "status" });

  const img = el("img", { className: "loupe-image jury-loupe-image", alt: "" });
  const empty = el("div", { className: "viewer-state", hidden: true }, icon("image"), el("h2", { text: "No image to show" }));
  const stage = el("figure", { className: "loupe-stage", tabindex: "-1" }, img, empty);

  // The pinned entry on the left, the current one on the right.
  let pinned = null;
  const left = comparePane("left", () => pinned, "Your score for the pinned entry");
  const right = comparePane("right", () => current, "Your score for the current entry");
  left.control.keys(false);
  const compare = el("div", { className: "jury-compare", id: "jury-compare-view", tabindex: "-1", role: "group", "aria-label": "Two entries side by side", hidden: true }, left.pane, right.pane);

  const name = el("h3", { className: "jury-entry-title", id: "jury-entry-title" });
  const meta = el("p", { className: "muted jury-entry-meta" });
  const statement = el("p", { className: "jury-statement" });
  const strip = el("div", { className: "jury-strip", role: "group", "aria-label": "Images of this entry" });
  const about = el("section", { className: "loupe-section" }, name, meta, statement, strip);

  const panelScore = scoreControl(() => current, "Your score", "jury-save-state");
  const scoreSection = el("section", { className: "loupe-section" }, el("h3", { text: "Your score" }));
  if (canScore) scoreSection.append(panelScore.box, panelScore.saveState);
  else scoreSection.append(el("p", { className: "muted", text: !data.juror ? "Managers see the entries; the jury scores them." : !data.open ? "The round is closed." : "This round has no voting: look only." }), panelScore.saveState);

  const recuseButton = el("button", { type: "button", className: "button button-quiet", id: "jury-recuse" }, el("span", { text: "Recuse myself" }));
  const confirmBox = el("div", { className: "jury-recuse-confirm", hidden: true },
    el("p", { text: "Recuse yourself from this entry? You will not score it in any round of this call, and your votes on it are not counted. This cannot be undone." }));
  const yes = el("button", { type: "button", className: "button button-danger", id: "jury-recuse-yes" }, "Yes, recuse me");
  const no = el("button", { type: "button", className: "button button-quiet" }, "Cancel");
  confirmBox.append(el("div", { className: "add-dialog-actions" }, no, yes));
  const recuseSection = el("section", { className: "loupe-section" }, el("h3", { text: "Conflict of interest" }),
    el("p", { className: "muted", text: "If you know who made this entry, step back from it." }), recuseButton, confirmBox);

  const keys = el("p", { className: "loupe-keys muted" });
  if (canScore) keys.append(...(STARS ? [el("kbd", { text: "1" }), "–", el("kbd", { text: "5" }), " stars · "] : [el("kbd", { text: "Y" }), " yes · ", el("kbd", { text: "N" }), " no · "]));
  keys.append(el("kbd", { text: "←" }), " ", el("kbd", { text: "→" }), " move · ", el("kbd", { text: "C" }), " compare · ", el("kbd", { text: "Esc" }), " back");

  const panel = el("aside", { className: "loupe-panel", "aria-labelledby": "jury-entry-title" }, about, scoreSection);
  if (data.juror && data.open) panel.append(recuseSection);
  panel.append(keys);
  const dialog = el("dialog", { className: "review-loupe jury-loupe", "aria-labelledby": "jury-loupe-title" }, bar, compareStatus, el("div", { className: "loupe-body" }, stage, compare, panel));
  document.body.append(dialog);

  back.addEventListener("click", () => closeLoupe());
  compareButton.addEventListener("click", () => togglePin());
  prev.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  dialog.addEventListener("close", () => {
    document.documentElement.classList.remove("has-loupe");
    pinned = null; // a comparison lasts as long as the loupe is open
    showCompare("");
    setCurrent(current, true);
  });
  recuseButton.addEventListener("click", () => {
    confirmBox.hidden = false;
    recuseButton.hidden = true;
    no.focus();
  });
  no.addEventListener("click", () => {
    confirmBox.hidden = true;
    recuseButton.hidden = false;
    recuseButton.focus();
  });
  yes.addEventListener("click", async () => {
    await recuse(items[current], yes);
    confirmBox.hidden = true;
    recuseButton.hidden = false;
    refresh(items[current]);
  });

  function showImage(it, k) {
    it.shown = k;
    const im = it.images[k];
    img.hidden = !im;
    empty.hidden = !!im;
    if (im && img.getAttribute("src") !== im.preview) {
      img.removeAttribute("src");
      img.width = im.width;
      img.height = im.height;
      img.src = im.preview;
    }
    img.alt = nameOf(it) + (it.images.length > 1 ? ", image " + (k + 1) + " of " + it.images.length : "");
    for (const [j, b] of strip.querySelectorAll("button").entries()) b.setAttribute("aria-pressed", String(j === k));
  }

  // refresh shows an item's score wherever the loupe shows the item.
  function refresh(it) {
    if (items[current] === it) {
      panelScore.update(it);
      recuseButton.disabled = !!it.recused;
    }
    if (pinned !== null && pinned !== current) {
      if (items[pinned] === it) left.show(it, "Pinned");
      if (items[current] === it) right.show(it, canScore ? "Your keys score this one" : "Current");
    }
  }

  // showCompare lays out the loupe for the pinned entry, if any: side by
  // side once the juror has moved to another; words are said by screen
  // readers (the pin and the unpin), or the status is worked out.
  function showCompare(words) {
    const on = pinned !== null && pinned !== current;
    const focusIn = document.activeElement;
    const moveFocus = focusIn && (on ? stage.contains(focusIn) : compare.contains(focusIn));
    dialog.classList.toggle("is-comparing", on);
    stage.hidden = on;
    compare.hidden = !on;
    compareButton.classList.toggle("is-on", pinned !== null);
    compareButton.querySelector("span").textContent = pinned === null ? "Compare" : "Stop comparing";
    compareButton.title = pinned === null ? "Pin this entry, then move to set another beside it (C)" : "Stop comparing (C)";
    if (on) {
      left.show(items[pinned], "Pinned");
      right.show(items[current], canScore ? "Your keys score this one" : "Current");
    }
    if (!words && pinned !== null) {
      words = on ? "Comparing “" + nameOf(items[pinned]) + "” (pinned, left) with “" + nameOf(items[current]) + "” (right)." + (canScore ? " Your keys score “" + nameOf(items[current]) + "”." : "")
        : "“" + nameOf(items[pinned]) + "” is pinned. Move with ← or → to set another entry beside it.";
    }
    compareStatus.textContent = words;
    compareStatus.classList.toggle("visually-hidden", pinned === null);
    title.textContent = "Entry " + (current + 1) + " of " + items.length + (on ? " · beside entry " + (pinned + 1) : "");
    if (moveFocus) (on ? compare : stage).focus({ preventScroll: true });
  }

  // togglePin pins the current entry for a comparison, or ends one.
  function togglePin() {
    if (pinned === null) {
      pinned = current;
      showCompare("");
    } else {
      pinned = null;
      showCompare("Stopped comparing. The keys score “" + nameOf(items[current]) + "”.");
    }
  }

  function show(i) {
    if (i < 0 || i >= items.length) return;
    setCurrent(i, false);
    const it = items[i];
    prev.disabled = i === 0;
    next.disabled = i === items.length - 1;
    name.textContent = nameOf(it);
    meta.textContent = [it.category, it.entrant ? "by " + it.entrant : ""].filter(Boolean).join(" · ");
    meta.hidden = !meta.textContent;
    statement.textContent = it.statement || "";
    statement.hidden = !it.statement;
    strip.replaceChildren();
    if (it.images.length > 1) {
      it.images.forEach((im, k) => {
        const b = el("button", { type: "button", className: "jury-strip-thumb", "aria-pressed": "false" },
          el("img", { src: im.thumb, alt: "Image " + (k + 1) + " of " + it.images.length, loading: "lazy" }));
        b.addEventListener("click", () => showImage(it, k));
        strip.append(b);
      });
    }
    confirmBox.hidden = true;
    recuseButton.hidden = false;
    showImage(it, Math.min(it.shown, Math.max(0, it.images.length - 1)));
    refresh(it);
    showCompare("");
    // The next step is instant: fetch the neighbours' previews ahead.
    for (const j of [i + 1, i - 1]) {
      const im = items[j]?.images[0];
      if (im) {
        const pre = new Image();
        pre.decoding = "async";
        pre.src = im.preview;
      }
    }
  }

  return { dialog, stage, show, refresh, togglePin };
}

function openLoupe(i) {
  if (i < 0 || i >= items.length) return;
  if (!loupe) loupe = buildLoupe();
  loupe.show(i);
  if (!loupe.dialog.open) {
    document.documentElement.classList.add("has-loupe");
    loupe.dialog.showModal();
  }
  loupe.stage.focus({ preventScroll: true });
}

function closeLoupe() {
  if (loupe && loupe.dialog.open) loupe.dialog.close();
}

// ---- keys ---------------------------------------------------------------------------

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !items.length) return;
  const t = e.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  for (const d of document.querySelectorAll("dialog[open]")) if (!loupe || d !== loupe.dialog) return; // another dialog has the keys
  const inLoupe = !!(loupe && loupe.dialog.open);
  const key = e.key;
  const done = () => e.preventDefault();
  if (key === "ArrowRight" || key === "ArrowLeft") {
    done();
    const to = current + (key === "ArrowRight" ? 1 : -1);
    if (inLoupe) loupe.show(to);
    else setCurrent(to, true);
    return;
  }
  if (!inLoupe && (key === "ArrowDown" || key === "ArrowUp")) {
    done();
    const j = rowStep(key === "ArrowDown" ? 1 : -1);
    if (j >= 0) setCurrent(j, true);
    return;
  }
  if (!inLoupe && (key === "Home" || key === "End")) {
    done();
    setCurrent(key === "Home" ? 0 : items.length - 1, true);
    return;
  }
  if (key === "Enter" || key === " ") {
    // On a control, the key presses it; Enter on a tile's own link opens
    // the loupe through the link's click.
    if (t.closest && t.closest("button, summary, a:not(.tile-link)")) return;
    if (key === "Enter" && t.closest && t.closest(".tile-link")) return;
    if (!inLoupe) {
      done();
      openLoupe(current);
    }
    return;
  }
  if (key === "c" || key === "C") {
    // Pin the current entry (opening it) or stop comparing.
    done();
    if (!inLoupe) openLoupe(current);
    loupe.togglePin();
    return;
  }
  if (!canScore) return;
  if (STARS && /^[1-5]$/.test(key)) return done(), score(current, Number(key));
  if (YESNO && (key === "y" || key === "Y")) return done(), score(current, 1);
  if (YESNO && (key === "n" || key === "N")) return done(), score(current, 0);
});

// ---- start ---------------------------------------------------------------------------

if (!items.length) {
  list.replaceWith(el("div", { className: "empty-state" }, icon("image"), el("h2", { text: "Nothing to judge" }),
    el("p", { text: "Entries withdrawn since the round began are left out." })));
} else {
  for (const it of items) {
    const li = tileFor(it);
    tiles.push(li);
    list.append(li);
  }
  new JustifiedGrid(list);
  list.addEventListener("focusin", (e) => {
    const li = e.target.closest(".jury-tile");
    if (li) setCurrent(tiles.indexOf(li), false);
  });
  for (const it of items) draw(it);
  setCurrent(0, false);
  updateCount();
}
root.dataset.ready = "true"; // for people and tests: the keys work now
