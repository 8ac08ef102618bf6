// calls.js — the times of the call and entry pages. The server writes a
// call's dates in the call's own time zone, named; here each <time
// data-local> also gets the visitor's local time, and every
// [data-countdown] element keeps counting down ("Closes in 3 hours") with
// the words the server uses. Copy buttons (the terms' SHA-256) come from
// copy.js.
import "./copy.js";

function plural(n, unit) {
  return n + " " + unit + (n === 1 ? "" : "s");
}

// countdown words the time from now to deadline (both in ms) as the
// server does (calls_public_words.go); null when the server's words stand
// (a deadline long past is shown as a date).
export function countdown(deadline, now) {
  const d = deadline - now;
  const minute = 60e3, hour = 60 * minute, day = 24 * hour;
  if (d <= 0) {
    const a = -d;
    if (a < minute) return "Closed just now";
    if (a < hour) return "Closed " + plural(Math.floor(a / minute), "minute") + " ago";
    if (a < day) return "Closed " + plural(Math.floor(a / hour), "hour") + " ago";
    if (a < 7 * day) return "Closed " + plural(Math.floor(a / day), "day") + " ago";
    return null;
  }
  if (d < minute) return "Closes in less than a minute";
  if (d < hour) return "Closes in " + plural(Math.floor(d / minute), "minute");
  if (d < 48 * hour) return "Closes in " + plural(Math.floor(d / hour), "hour");
  return "Closes in " + plural(Math.floor(d / day), "day");
}

const local = new Intl.DateTimeFormat(undefined, {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
  hour: "2-digit", minute: "2-digit", timeZoneName: "short",
});

for (const t of document.querySelectorAll("time[data-local]")) {
  const when = new Date(t.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) continue;
  const span = document.createElement("span");
  span.className = "local-time";
  span.textContent = "Your time: " + local.format(when);
  t.parentElement.append(span);
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-countdown]")) {
    const when = Date.parse(el.dataset.countdown);
    if (Number.isNaN(when)) continue;
    const words = countdown(when, now);
    if (words && el.textContent !== words) el.textContent = words;
  }
}
tick();
setInterval(tick, 30e3);
