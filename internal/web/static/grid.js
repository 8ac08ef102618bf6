// grid.js — the justified photo grid: rows of equal height that fill the
// width exactly, every photo at its own aspect ratio (like Flickr).
//
// The server renders the tiles (templates/partials/tile.html) with their
// thumbnail's size in data-w and data-h; without JavaScript they sit in
// rows of one height with a ragged right edge. Here each tile gets an
// exact width and height through the CSSOM, which the Content Security
// Policy allows (style attributes in markup it does not).

// rowHeight is the height rows aim for at a given grid width; a row ends
// up at most this high (shorter when it needs to shrink to fit).
function rowHeight(width) {
  if (width < 640) return 120;
  if (width < 1024) return 170;
  return 220;
}

function aspect(tile) {
  const w = Number(tile.dataset.w), h = Number(tile.dataset.h);
  return w > 0 && h > 0 ? w / h : 1;
}

// JustifiedGrid keeps a <ul class="grid"> justified as it changes size and
// as tiles come and go (call schedule() after changing tiles).
export class JustifiedGrid {
  constructor(list) {
    this.list = list;
    this.width = 0;
    this.pending = false;
    list.classList.add("is-justified");
    new ResizeObserver(() => {
      if (list.clientWidth !== this.width) this.schedule();
    }).observe(list);
    this.layout();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.layout();
    });
  }

  layout() {
    const width = this.list.clientWidth;
    this.width = width;
    if (!width) return;
    const gap = parseFloat(getComputedStyle(this.list).columnGap) || 0;
    const target = rowHeight(width);
    let row = [];
    let sum = 0;
    let last = target;
    for (const tile of this.list.children) {
      if (!tile.classList.contains("tile")) continue;
      const ar = aspect(tile);
      row.push([tile, ar]);
      sum += ar;
      const free = width - gap * (row.length - 1);
      if (sum * target >= free) {
        last = free / sum;
        place(row, last, free);
        row = [];
        sum = 0;
      }
    }
    // The last row keeps the height of the one above rather than
    // stretching a few photos to the full width.
    if (row.length) place(row, last, 0);
  }
}

// place sizes one row's tiles at height h. When fill is set, widths are
// whole pixels that add up to exactly fill.
function place(row, h, fill) {
  const height = Math.max(1, Math.round(h));
  let used = 0;
  row.forEach(([tile, ar], i) => {
    let w = Math.max(1, Math.floor(ar * h));
    if (fill && i === row.length - 1) w = Math.max(1, Math.floor(fill - used));
    used += w;
    set(tile, w, height);
  });
}

function set(tile, w, h) {
  const ws = w + "px", hs = h + "px";
  if (tile.style.width !== ws) tile.style.width = ws;
  if (tile.style.height !== hs) tile.style.height = hs;
}

// fadeIn hides a tile's thumbnail until it has loaded, over the flat
// placeholder, so rows do not flash in piece by piece.
export function fadeIn(tile) {
  const img = tile.querySelector("img");
  if (!img || img.complete) return;
  tile.classList.add("is-loading");
  const done = () => tile.classList.remove("is-loading");
  img.addEventListener("load", done, { once: true });
  img.addEventListener("error", done, { once: true });
}

// sortKey is where an asset (API JSON) sits in the library's order: its
// capture time, or its upload time when the capture time is unknown, in
// milliseconds. Capture times without an offset are camera clock times,
// which the server orders as if they were UTC.
export function sortKey(asset) {
  if (asset.taken_at) {
    const hasZone = /(?:Z|[+-]\d\d:\d\d)$/.test(asset.taken_at);
    const t = Date.parse(hasZone ? asset.taken_at : asset.taken_at + "Z");
    if (!Number.isNaN(t)) return t;
  }
  return Date.parse(asset.created_at) || 0;
}

// svgIcon returns an icon of the page's sprite, hidden from assistive
// technology (the control around it carries the words).
export function svgIcon(sprite, id) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(ns, "use");
  use.setAttribute("href", sprite + "#" + id);
  svg.append(use);
  return svg;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

// altText is what a tile says about a photo to people who cannot see it.
export function altText(asset) {
  return asset.caption || asset.filename || "Photo";
}

// tileFor builds the tile of an asset from its API JSON, the same markup
// as templates/partials/tile.html. sprite is the icon sprite's URL.
export function tileFor(asset, sprite) {
  const li = el("li", "tile");
  li.id = "tile-" + asset.id;
  li.dataset.id = asset.id;
  li.dataset.status = asset.status;
  const ready = asset.status === "ready" && asset.thumb_width > 0;
  li.dataset.w = String(ready ? asset.thumb_width : asset.width);
  li.dataset.h = String(ready ? asset.thumb_height : asset.height);
  li.dataset.sort = String(sortKey(asset));
  const a = el("a", "tile-link");
  a.href = "/library/" + asset.id;
  li.append(a);
  if (ready) {
    const img = document.createElement("img");
    img.src = asset.thumb_url;
    img.width = asset.thumb_width;
    img.height = asset.thumb_height;
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = altText(asset);
    a.append(img);
    fadeIn(li);
    return li;
  }
  const state = el("span", "tile-state");
  if (asset.status === "failed") {
    state.append(svgIcon(sprite, "alert"), el("span", "", "Could not be processed"));
    a.append(state, el("span", "tile-reason", asset.failure_reason || ""));
  } else {
    state.append(svgIcon(sprite, "clock"), el("span", "", "Processing"));
    a.append(state);
  }
  a.append(el("span", "visually-hidden", altText(asset)));
  return li;
}

// watchProcessing polls a processing tile's asset until it is ready or
// has failed, then replaces the tile and calls changed(). A tile whose
// asset is gone (deleted elsewhere) is removed.
export function watchProcessing(tile, sprite, changed) {
  let delay = 1000;
  const poll = async () => {
    if (!tile.isConnected) return;
    let res;
    try {
      res = await fetch("/api/v1/assets/" + encodeURIComponent(tile.dataset.id), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      res = null; // offline for a moment: try again later
    }
    if (res && res.status === 404) {
      tile.remove();
      changed();
      return;
    }
    if (res && res.ok) {
      const asset = await res.json();
      if (asset.status !== "processing") {
        const next = tileFor(asset, sprite);
        const hadFocus = tile.contains(document.activeElement);
        tile.replaceWith(next);
        if (hadFocus) next.querySelector("a").focus();
        changed();
        return;
      }
    }
    delay = Math.min(delay * 1.5, 8000);
    setTimeout(poll, delay);
  };
  setTimeout(poll, delay);
}
