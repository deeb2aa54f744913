// The key lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage. It
// goes when the tab closes or the user signs out; another tab signs in on its own.

const KEY = "binstore.console.session";

export function savedSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return saved && typeof saved.key === "string" && (saved.kind === "master" || saved.kind === "access") ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(key, kind) {
  sessionStorage.setItem(KEY, JSON.stringify({ key, kind }));
}

export function forgetSession() {
  sessionStorage.removeItem(KEY);
}
