// upload.js — uploading photos, shared by the upload page and the
// library's drop target: a queue that sends files to POST /api/v1/assets a
// few at a time with progress (XMLHttpRequest, because fetch cannot report
// upload progress), and a tray that shows it.
//
// Which files are images is the server's call, never a guess from a file
// name: whatever it refuses comes back with a reason in plain words.

const PARALLEL = 3;

// formatBytes writes a size the way the server words its limit
// ("200 MB" is 200 × 1024 × 1024 bytes).
export function formatBytes(n) {
  if (n < 1024) return n + (n === 1 ? " byte" : " bytes");
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const r = Math.round(v * 10) / 10;
  const shown = v >= 100 || Number.isInteger(r) ? Math.round(v) : r.toFixed(1);
  return shown + " " + units[i];
}

// timeLeft words a time left in seconds, roughly: "a few seconds left",
// "about 40 seconds left", "about 3 minutes left".
export function timeLeft(s) {
  if (s < 10) return "a few seconds left";
  if (s < 60) return "about " + Math.ceil(s / 10) * 10 + " seconds left";
  const m = Math.round(s / 60);
  if (m < 60) return "about " + (m === 1 ? "1 minute" : m + " minutes") + " left";
  const h = Math.floor(m / 60);
  return "about " + h + (h === 1 ? " hour " : " hours ") + (m % 60) + " min left";
}

// sentence turns the API's message ("the file is larger than the 200 MB
// limit") into a sentence.
function sentence(s) {
  s = String(s).trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

// fallbackMessage words a failure the server did not explain.
function fallbackMessage(status) {
  if (status === 401) return "Your session has ended. Sign in again in another tab, then retry.";
  if (status === 413) return "The file is larger than the upload limit.";
  if (status === 415) return "Not an image we can read.";
  if (status === 429) return "Too many uploads at once. Wait a moment, then retry.";
  if (status >= 500) return "The server could not store the file. Please retry in a moment.";
  return "The upload did not work (error " + status + ").";
}

// retryable says whether sending the same file again can help.
function retryable(status) {
  return status === 0 || status === 401 || status === 408 || status === 429 || status >= 500;
}

const ACTIVE = new Set(["queued", "uploading", "finishing"]);

// UploadQueue uploads files, at most PARALLEL at a time. It dispatches
// "add" (detail: the new items), "change" (detail: an item or null),
// and "uploaded" (detail: an item whose asset is in the library, new or
// already there).
//
// An item is {id, file, name, size, state, loaded, message, retryable,
// asset}; state is queued, uploading, finishing (all bytes sent, the
// server is checking and encrypting), done, duplicate, error or
// cancelled.
export class UploadQueue extends EventTarget {
  constructor({ endpoint = "/api/v1/assets", maxBytes = 0 } = {}) {
    super();
    this.endpoint = endpoint;
    this.maxBytes = maxBytes;
    this.items = [];
    this.running = 0;
    this.seq = 0;
    this.samples = []; // [time ms, bytes sent] over the last seconds
  }

  emit(type, detail = null) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  add(files) {
    const added = [];
    for (const file of files) {
      const item = {
        id: ++this.seq, file, name: file.name, size: file.size, state: "queued",
        loaded: 0, message: "", retryable: false, asset: null, xhr: null,
      };
      this.items.push(item);
      added.push(item);
    }
    if (added.length) {
      this.emit("add", added);
      this.pump();
    }
    return added;
  }

  pump() {
    for (const item of this.items) {
      if (this.running >= PARALLEL) break;
      if (item.state === "queued") this.start(item);
    }
    this.emit("change");
  }

  start(item) {
    if (this.maxBytes && item.size > this.maxBytes) {
      // The server would refuse it after the whole file was sent.
      this.settle(item, "error", "The file is larger than the " + formatBytes(this.maxBytes) + " limit.", false);
      return;
    }
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    item.state = "uploading";
    item.loaded = 0;
    this.running++;
    xhr.open("POST", this.endpoint);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable || !e.total) return;
      // The body is multipart: count it against the file's own size.
      item.loaded = Math.min(item.size, (item.size * e.loaded) / e.total);
      if (e.loaded >= e.total) item.state = "finishing";
      this.sample();
      this.emit("change", item);
    });
    xhr.addEventListener("load", () => this.answered(item, xhr));
    xhr.addEventListener("error", () => this.settle(item, "error", "The connection was interrupted.", true));
    xhr.addEventListener("timeout", () => this.settle(item, "error", "The server took too long to answer.", true));
    xhr.addEventListener("abort", () => this.settle(item, "cancelled", "", true));
    const body = new FormData();
    body.append("file", item.file, item.file.name);
    xhr.send(body);
  }

  answered(item, xhr) {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      body = null;
    }
    if (xhr.status === 201 && body && body.id) {
      this.settle(item, "done", "", false, body);
    } else if (xhr.status === 200 && body && body.id) {
      this.settle(item, body.duplicate ? "duplicate" : "done", "", false, body);
    } else {
      const said = body && typeof body.error === "string" && body.error ? sentence(body.error) : "";
      const message = xhr.status === 401 ? fallbackMessage(401) : said || fallbackMessage(xhr.status);
      this.settle(item, "error", message, retryable(xhr.status));
    }
  }

  settle(item, state, message, canRetry, asset = null) {
    if (item.xhr) {
      item.xhr = null;
      this.running--;
    }
    item.state = state;
    item.message = message;
    item.retryable = canRetry;
    item.asset = asset;
    if (state === "done" || state === "duplicate") item.loaded = item.size;
    this.sample();
    if (asset) this.emit("uploaded", item);
    this.pump();
  }

  retry(item) {
    if (item.state !== "error" && item.state !== "cancelled") return;
    Object.assign(item, { state: "queued", loaded: 0, message: "", retryable: false });
    this.pump();
  }

  cancel(item) {
    if (item.state === "queued") {
      this.settle(item, "cancelled", "", true);
    } else if (item.state === "uploading" && item.xhr) {
      item.xhr.abort();
    }
  }

  // clear forgets every item that is no longer active.
  clear() {
    this.items = this.items.filter((i) => ACTIVE.has(i.state));
    this.emit("change");
  }

  get busy() {
    return this.items.some((i) => ACTIVE.has(i.state));
  }

  sample() {
    const now = performance.now();
    const sent = this.items.reduce((n, i) => n + i.loaded, 0);
    this.samples.push([now, sent]);
    while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
  }

  // stats sums up the queue for the tray.
  stats() {
    const s = { total: 0, done: 0, duplicate: 0, error: 0, cancelled: 0, active: 0, bytes: 0, sent: 0, speed: 0, eta: 0 };
    for (const i of this.items) {
      s.total++;
      if (ACTIVE.has(i.state)) s.active++;
      else s[i.state]++;
      if (i.state !== "error" && i.state !== "cancelled") {
        s.bytes += i.size;
        s.sent += i.loaded;
      }
    }
    if (s.active) {
      this.sample();
      const [t0, b0] = this.samples[0];
      const [t1, b1] = this.samples[this.samples.length - 1];
      if (t1 - t0 >= 750) s.speed = ((b1 - b0) * 1000) / (t1 - t0);
      if (s.speed > 0) s.eta = (s.bytes - s.sent) / s.speed;
    }
    return s;
  }
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

function bar(label) {
  const b = el("div", "bar");
  b.setAttribute("role", "progressbar");
  b.setAttribute("aria-label", label);
  b.setAttribute("aria-valuemin", "0");
  b.setAttribute("aria-valuemax", "100");
  b.setAttribute("aria-valuenow", "0");
  b.append(el("div", "bar-fill"));
  return b;
}

function setBar(b, fraction) {
  const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
  if (b.getAttribute("aria-valuenow") !== String(pct)) b.setAttribute("aria-valuenow", String(pct));
  b.firstChild.style.transform = "scaleX(" + Math.max(0, Math.min(1, fraction)) + ")";
}

const STATUS = {
  queued: () => "Waiting",
  uploading: (i) => Math.floor((100 * i.loaded) / Math.max(1, i.size)) + " %",
  finishing: () => "Encrypting…",
  done: () => "Uploaded",
  duplicate: () => "Already in your library",
  error: () => "Not uploaded",
  cancelled: () => "Cancelled",
};

// UploadTray shows a queue: an overall line with progress, speed and time
// left, and one row per file with its own bar, its outcome in words, and
// Retry, Cancel or View. A floating tray (the library's) can be folded
// and closed once everything has finished.
export class UploadTray {
  constructor(root, queue, { floating = false } = {}) {
    this.root = root;
    this.queue = queue;
    this.floating = floating;
    this.rows = new Map();
    this.pending = false;
    this.build();
    queue.addEventListener("add", (e) => {
      for (const item of e.detail) this.addRow(item);
      this.root.hidden = false;
      this.schedule();
    });
    queue.addEventListener("change", () => this.schedule());
    // Speed and time left move even when no event arrives.
    setInterval(() => {
      if (this.queue.busy) this.schedule();
    }, 1000);
  }

  build() {
    const r = this.root;
    r.replaceChildren();
    const head = el("div", "tray-head");
    const summary = el("div", "tray-summary");
    this.title = el("p", "tray-title");
    this.title.id = r.id + "-title";
    this.title.setAttribute("role", "status");
    this.meta = el("p", "tray-meta");
    summary.append(this.title, this.meta);
    head.append(summary);
    if (this.floating) {
      this.fold = el("button", "button button-quiet", "Hide list");
      this.fold.type = "button";
      this.fold.setAttribute("aria-expanded", "true");
      this.fold.addEventListener("click", () => {
        const folded = r.classList.toggle("is-collapsed");
        this.fold.textContent = folded ? "Show list" : "Hide list";
        this.fold.setAttribute("aria-expanded", String(!folded));
      });
      this.close = el("button", "button button-quiet", "Close");
      this.close.type = "button";
      this.close.addEventListener("click", () => {
        this.queue.clear();
        for (const [id, row] of this.rows) {
          if (!this.queue.items.some((i) => i.id === id)) {
            row.li.remove();
            this.rows.delete(id);
          }
        }
        if (!this.queue.items.length) r.hidden = true;
      });
      head.append(this.fold, this.close);
    } else {
      this.library = el("a", "button", "Go to your library");
      this.library.href = "/library";
      head.append(this.library);
    }
    this.overall = bar("All uploads");
    this.overall.classList.add("tray-progress");
    this.list = el("ol", "tray-list");
    r.setAttribute("aria-labelledby", this.title.id);
    r.append(head, this.overall, this.list);
  }

  addRow(item) {
    const li = el("li", "upload-row");
    li.dataset.state = item.state;
    const name = el("span", "upload-name", item.name);
    name.title = item.name;
    name.append(el("span", "upload-size", " · " + formatBytes(item.size)));
    const status = el("span", "upload-status");
    const action = el("span", "upload-action");
    const b = bar(item.name);
    const message = el("p", "upload-message");
    message.hidden = true;
    li.append(name, status, action, b, message);
    this.list.append(li);
    this.rows.set(item.id, { li, status, action, bar: b, message, shown: "" });
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    for (const item of this.queue.items) {
      const row = this.rows.get(item.id);
      if (row) this.renderRow(item, row);
    }
    const s = this.queue.stats();
    const uploaded = s.done + s.duplicate;
    let title, meta;
    if (s.active) {
      title = "Uploading · " + uploaded + " of " + s.total + " done";
      meta = formatBytes(Math.round(s.sent)) + " of " + formatBytes(s.bytes);
      if (s.speed > 0) meta += " · " + formatBytes(Math.round(s.speed)) + "/s";
      if (s.eta > 0) meta += " · " + timeLeft(s.eta);
    } else {
      const parts = [];
      if (s.done) parts.push(plural(s.done, "photo", "photos") + " uploaded");
      if (s.duplicate) parts.push(s.duplicate + " already in your library");
      if (s.error) parts.push(s.error + " not uploaded");
      if (s.cancelled) parts.push(s.cancelled + " cancelled");
      title = parts.length ? parts.join(", ") : "Nothing to upload";
      title = title[0].toUpperCase() + title.slice(1);
      meta = s.error ? "The reasons are below each file." : "All done.";
    }
    if (this.title.textContent !== title) this.title.textContent = title;
    if (this.meta.textContent !== meta) this.meta.textContent = meta;
    setBar(this.overall, s.bytes ? s.sent / s.bytes : 0);
    this.root.dataset.state = s.active ? "busy" : "idle";
    if (this.close) this.close.hidden = s.active > 0;
    if (this.library) this.library.hidden = s.active > 0 || uploaded === 0;
  }

  renderRow(item, row) {
    row.li.dataset.state = item.state;
    const status = STATUS[item.state](item);
    if (row.status.textContent !== status) row.status.textContent = status;
    setBar(row.bar, item.size ? item.loaded / item.size : item.state === "done" ? 1 : 0);
    row.message.hidden = !item.message;
    if (row.message.textContent !== item.message) row.message.textContent = item.message;
    // Rebuild the action only when its kind changes, so that a button
    // keeps focus while progress moves.
    let kind = "";
    if (item.state === "queued" || item.state === "uploading") kind = "cancel";
    else if ((item.state === "error" || item.state === "cancelled") && item.retryable) kind = "retry";
    else if ((item.state === "done" || item.state === "duplicate") && item.asset) kind = "view";
    if (row.shown === kind) return;
    const hadFocus = row.action.contains(document.activeElement);
    row.shown = kind;
    row.action.replaceChildren();
    let control = null;
    if (kind === "cancel" || kind === "retry") {
      control = el("button", "button button-quiet", kind === "cancel" ? "Cancel" : "Retry");
      control.type = "button";
      control.append(el("span", "visually-hidden", " " + item.name));
      control.addEventListener("click", () => (kind === "cancel" ? this.queue.cancel(item) : this.queue.retry(item)));
    } else if (kind === "view") {
      control = el("a", "", "View");
      control.href = "/library/" + encodeURIComponent(item.asset.id);
      control.append(el("span", "visually-hidden", " " + item.name));
    }
    if (control) {
      row.action.append(control);
      if (hadFocus) control.focus();
    }
  }
}

// filesFromDrop lists the files of a drop, walking into dropped folders.
// Call it from the drop event handler itself: the browser forgets the
// dropped items once that handler returns, so they are read before the
// first await.
export async function filesFromDrop(dt) {
  const entries = [];
  const files = [];
  for (const item of dt.items || []) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) {
      entries.push(entry);
    } else {
      const f = item.getAsFile();
      if (f) files.push(f);
    }
  }
  if (!entries.length && !files.length) return [...(dt.files || [])];
  const walk = async (entry) => {
    if (entry.isFile) {
      try {
        files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
      } catch {
        // unreadable (permissions, a vanished file): nothing to send
      }
      return;
    }
    if (!entry.isDirectory) return;
    const reader = entry.createReader();
    for (;;) {
      let batch;
      try {
        batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      } catch {
        return;
      }
      if (!batch.length) return;
      for (const e of batch) await walk(e);
    }
  };
  for (const e of entries) await walk(e);
  return files;
}

function hasFiles(e) {
  return e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files");
}

// acceptDrops lets files be dropped anywhere on the page: while files are
// dragged over it, show() runs; hide() when they leave or land; files()
// gets what was dropped.
export function acceptDrops({ show, hide, files }) {
  let depth = 0;
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (depth++ === 0) show();
  });
  document.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) hide();
  });
  document.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    hide();
    filesFromDrop(e.dataTransfer).then((list) => {
      if (list.length) files(list);
    });
  });
}

// guardLeaving asks before the page is left while uploads are running:
// leaving would cancel them.
export function guardLeaving(queue) {
  window.addEventListener("beforeunload", (e) => {
    if (queue.busy) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
}
