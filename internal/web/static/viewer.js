// viewer.js — the loupe: ← and → move through the library, Escape or
// Space go back to the grid, I shows or hides the details. Everything here
// also works without JavaScript through plain links (?info=1 keeps the
// details open); this only adds the keys, remembers the details panel
// between photos, and waits for a processing photo to be ready.

const viewer = document.getElementById("viewer");
const info = document.getElementById("viewer-info");
const toggle = document.getElementById("viewer-info-toggle");
const prev = document.getElementById("viewer-prev");
const next = document.getElementById("viewer-next");
const back = document.getElementById("viewer-back");
const KEY = "safelight.viewer.info";

function remembered() {
  try {
    return localStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

function remember(open) {
  try {
    localStorage.setItem(KEY, open ? "1" : "0");
  } catch {
    // private mode: the links still carry it
  }
}

function withInfo(href, open) {
  const u = new URL(href, location.href);
  if (open) u.searchParams.set("info", "1");
  else u.searchParams.delete("info");
  return u.pathname + u.search + u.hash;
}

function setInfo(open) {
  info.hidden = !open;
  toggle.setAttribute("aria-expanded", String(open));
  toggle.href = withInfo(location.href, !open);
  for (const link of [prev, next]) if (link) link.href = withInfo(link.href, open);
  history.replaceState(history.state, "", withInfo(location.href, open));
}

// The details stay open (or closed) from one photo to the next, even when
// a photo is opened from the grid.
const params = new URLSearchParams(location.search);
if (!params.has("info") && remembered()) setInfo(true);

toggle.addEventListener("click", (e) => {
  e.preventDefault();
  const open = info.hidden;
  setInfo(open);
  remember(open);
});

function go(link) {
  if (link) location.assign(link.href);
}

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  const t = e.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  switch (e.key) {
    case "ArrowLeft":
      e.preventDefault();
      go(prev);
      break;
    case "ArrowRight":
      e.preventDefault();
      go(next);
      break;
    case "Escape":
      e.preventDefault();
      go(back);
      break;
    case " ":
      // Space on a focused control presses it; elsewhere it is the grid.
      if (t.closest && t.closest("a, button, summary")) return;
      e.preventDefault();
      go(back);
      break;
    case "i":
    case "I": {
      e.preventDefault();
      const open = info.hidden;
      setInfo(open);
      remember(open);
      break;
    }
  }
});

// Make the next step instant: fetch the neighbours' previews ahead.
for (const link of [next, prev]) {
  if (!link) continue;
  const id = new URL(link.href, location.href).pathname.split("/").pop();
  const img = new Image();
  img.decoding = "async";
  img.src = "/api/v1/assets/" + encodeURIComponent(id) + "/preview";
}

// A photo still processing shows itself once it is ready.
if (viewer.dataset.status === "processing") {
  let delay = 1000;
  const poll = async () => {
    try {
      const res = await fetch("/api/v1/assets/" + encodeURIComponent(viewer.dataset.id), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (res.ok && (await res.json()).status !== "processing") {
        location.reload();
        return;
      }
    } catch {
      // try again
    }
    delay = Math.min(delay * 1.5, 8000);
    setTimeout(poll, delay);
  };
  setTimeout(poll, delay);
}

viewer.dataset.ready = "true"; // for people and tests: the keys work now
