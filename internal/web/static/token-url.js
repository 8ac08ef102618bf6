// Takes the secret token of a mailed link (?token=…) out of the address
// bar and the browser history once the page has it in its form, so that it
// is not left behind in history, bookmarks or a shared screen.
if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname);
}
