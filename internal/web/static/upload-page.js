// upload-page.js — the upload page: pick files or a whole folder, or drop
// them anywhere on the page; the tray below shows every file's progress.
import { UploadQueue, UploadTray, acceptDrops, guardLeaving } from "./upload.js";

const page = document.getElementById("upload-page");
const zone = document.getElementById("dropzone");
const queue = new UploadQueue({ maxBytes: Number(page.dataset.maxBytes) || 0 });
new UploadTray(document.getElementById("upload-tray"), queue);
guardLeaving(queue);

for (const id of ["upload-files", "upload-folder"]) {
  const input = document.getElementById(id);
  input.addEventListener("change", () => {
    queue.add(Array.from(input.files || []));
    input.value = ""; // choosing the same files again must work
  });
}

acceptDrops({
  show: () => zone.classList.add("is-over"),
  hide: () => zone.classList.remove("is-over"),
  files: (files) => queue.add(files),
});

page.dataset.ready = "true"; // for tests: pickers and drops are handled
