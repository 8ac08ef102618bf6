// library.js — the library grid: justified rows, more photos as the page
// scrolls (GET /api/v1/assets?cursor=…), processing tiles that turn into
// thumbnails by themselves, and photos dropped anywhere on the page
// uploaded into it.
import { JustifiedGrid, fadeIn, tileFor, watchProcessing, sortKey } from "./grid.js";
import { UploadQueue, UploadTray, acceptDrops, guardLeaving } from "./upload.js";
import { Selection } from "./library-selection.js";

const PAGE = 60;
const root = document.getElementById("library");
const section = document.getElementById("library-grid");
const sprite = root.dataset.icons;
let list = document.getElementById("grid");
let grid = null;
let more = document.getElementById("grid-more");
let cursor = "";
let loading = false;

function changed() {
  if (grid) grid.schedule();
}

function setUp(tile) {
  fadeIn(tile);
  if (tile.dataset.status === "processing") watchProcessing(tile, sprite, changed);
}

if (list) {
  grid = new JustifiedGrid(list);
  for (const tile of list.querySelectorAll(".tile")) setUp(tile);
}

// ensureGrid turns the empty state into a grid when the first photo
// arrives.
function ensureGrid() {
  if (list) return;
  list = document.createElement("ul");
  list.className = "grid";
  list.id = "grid";
  section.replaceChildren(list);
  section.dataset.state = "photos";
  grid = new JustifiedGrid(list);
}

// Infinite scroll: the "Show more photos" link (which works without
// JavaScript) doubles as the point that loads the next page when it
// comes near.
if (more) {
  const link = more.querySelector("a");
  cursor = new URL(link.href).searchParams.get("cursor") || "";
  link.addEventListener("click", (e) => {
    e.preventDefault();
    loadMore();
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: "800px 0px" }).observe(more);
}

async function loadMore() {
  if (loading || !cursor) return;
  loading = true;
  let ok = false;
  const link = more.querySelector("a");
  link.textContent = "Loading…";
  try {
    const res = await fetch("/api/v1/assets?limit=" + PAGE + "&cursor=" + encodeURIComponent(cursor), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!res.ok) throw new Error("status " + res.status);
    const page = await res.json();
    for (const asset of page.items) {
      if (document.getElementById("tile-" + asset.id)) continue;
      const tile = tileFor(asset, sprite);
      list.append(tile);
      setUp(tile);
    }
    cursor = page.next_cursor || "";
    grid.schedule();
    if (!cursor) {
      more.remove();
    } else {
      link.textContent = "Show more photos";
      link.href = "/library?cursor=" + encodeURIComponent(cursor);
    }
    ok = true;
  } catch {
    link.textContent = "Could not load more photos. Try again";
  } finally {
    loading = false;
  }
  // A tall window may still show the end of the grid: keep going (after
  // a failure, only when asked).
  if (ok && cursor && more.isConnected && more.getBoundingClientRect().top < innerHeight + 800) loadMore();
}

// insert puts a newly uploaded photo where the library's order has it:
// newest capture first. Photos that belong further down than what is
// loaded arrive with the later pages instead.
function insert(asset) {
  if (document.getElementById("tile-" + asset.id)) return;
  ensureGrid();
  const key = sortKey(asset);
  let before = null;
  for (const tile of list.children) {
    const k = Number(tile.dataset.sort);
    if (k < key || (k === key && tile.dataset.id < asset.id)) {
      before = tile;
      break;
    }
  }
  if (!before && cursor) return;
  const tile = tileFor(asset, sprite);
  list.insertBefore(tile, before);
  setUp(tile);
  grid.schedule();
}

// Uploads by dropping files anywhere on the page.
const overlay = document.getElementById("drop-overlay");
const queue = new UploadQueue({ maxBytes: Number(root.dataset.maxBytes) || 0 });
new UploadTray(document.getElementById("upload-tray"), queue, { floating: true });
guardLeaving(queue);
queue.addEventListener("uploaded", (e) => insert(e.detail.asset));
acceptDrops({
  show: () => (overlay.hidden = false),
  hide: () => (overlay.hidden = true),
  files: (files) => queue.add(files),
});
for (const hint of document.querySelectorAll(".drop-hint")) hint.hidden = false;

// Space opens the focused photo, as it toggles grid and loupe.
document.addEventListener("keydown", (e) => {
  if (e.key !== " " || e.altKey || e.ctrlKey || e.metaKey) return;
  const link = e.target.closest && e.target.closest(".tile-link");
  if (!link) return;
  e.preventDefault();
  link.click();
});

// Selecting photos, and the selection's actions (library-selection.js).
new Selection(section, sprite);

root.dataset.ready = "true"; // for tests: the grid is managed from here on
