// The console: sign in, then a side list (collections, account pages) and one view at a time,
// chosen by the URL's fragment (#/bins/<collection>, #/bin/<id>, ...; never a key in it).

import { Api, ApiError, signIn } from "./api.js";
import { disabledFor, h, replace } from "./dom.js";
import { forgetSession, saveSession, savedSession } from "./session.js";
import { showBinList } from "./views/binlist.js";
import { showBin } from "./views/bin.js";
import { showNewBin } from "./views/newbin.js";
import { showSchemaDocs } from "./views/schemadocs.js";
import { showAccessKeys } from "./views/keys.js";
import { showUsage } from "./views/usage.js";

const appElement = document.getElementById("app");
const navElement = document.getElementById("nav");
const accountElement = document.getElementById("account");
const statusElement = document.getElementById("status");

// What every view shares: the API, what the key may do, the collections (loaded once, on demand).
const app = {
  api: null,
  me: null,
  collections: null,
  get master() { return this.me?.key?.kind === "master"; },
  get plan() { return this.me?.account?.plan; },
  may(permission) {
    if (this.master) return true;
    return Boolean(this.me?.key?.keyPermissions?.bins?.[permission]);
  },
  say(message) {
    statusElement.textContent = "";
    clearTimeout(this.sayTimer);
    // Set a moment later, so the same message twice is announced twice; gone after 8 s.
    setTimeout(() => { statusElement.textContent = message; }, 30);
    this.sayTimer = setTimeout(() => { statusElement.textContent = ""; }, 8000);
  },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  async refreshAccount() {
    try {
      this.me = (await this.api.me()).json;
      renderAccount();
    } catch {
      /* the account line keeps its last figures */
    }
  },
  // The account's collections, listed once (1 request) and then kept up to date from the answers of
  // the console's own changes; views asking while the list is on its way share its one request.
  loadCollections() {
    if (!this.master) return Promise.resolve([]);
    this.collectionsLoading ??= this.api.collections().then(
      (answer) => {
        this.collections = answer.json;
        renderNav();
        return this.collections;
      },
      (error) => {
        this.collectionsLoading = null; // asked again next time
        throw error;
      },
    );
    return this.collectionsLoading;
  },
  changeCollection(id, changes) {
    const collection = (this.collections || []).find((each) => each.record === id);
    if (collection) Object.assign(collection, changes);
    renderNav();
  },
  addCollection(collection) {
    this.collections = [...(this.collections || []), collection];
    renderNav();
  },
  // What a create answered, for the view it opens next: shown from it, not read again (once).
  prefetched: new Map(),
  takePrefetched(key) {
    const answer = this.prefetched.get(key);
    this.prefetched.delete(key);
    return answer;
  },
};

const MASTER_ONLY = "Needs the master key: an access key works on bins only";

function renderAccount() {
  if (!app.me) {
    replace(accountElement);
    return;
  }
  const { key, account } = app.me;
  const kind = key.kind === "master" ? "master key" : `an access key, “${key.name}”`;
  replace(
    accountElement,
    h("span", { class: "plan" }, `${account.plan} plan`),
    h("span", { class: "requests", dataset: { testid: "requests-left" } }, `${account.requestsRemaining.toLocaleString("en")} requests left`),
    h("span", { class: "kind" }, key.kind === "master" ? "signed in with the master key" : `signed in with ${kind}`),
    key.expiresAt ? h("span", { class: "warning" }, `this key expires ${new Date(key.expiresAt).toLocaleString()}`) : null,
    h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
  );
}

function navLink(label, hash, { enabled = true, reason = MASTER_ONLY } = {}) {
  if (!enabled) {
    return h("li", {}, disabledFor(h("button", { type: "button", class: "link" }, label), reason), h("span", { class: "visually-hidden" }, ` (${reason})`));
  }
  const current = location.hash === hash || location.hash.startsWith(hash + "?");
  return h("li", {}, h("a", { href: hash, "aria-current": current ? "page" : false }, label));
}

function renderNav() {
  navElement.hidden = false;
  const collections = app.collections;
  const search = h("input", { id: "open-bin-id", name: "bin", autocomplete: "off", spellcheck: "false", placeholder: "24 hex characters", inputmode: "text" });
  const form = h(
    "form",
    { class: "open-bin", role: "search", onsubmit: (event) => { event.preventDefault(); const id = search.value.trim(); if (id) app.go(`#/bin/${encodeURIComponent(id)}`); } },
    h("label", { for: "open-bin-id" }, "Open a bin by id"),
    h("div", { class: "inline" }, search, h("button", { type: "submit", disabled: !app.may("read") }, "Open")),
  );
  replace(
    navElement,
    app.master ? null : h("p", { class: "hint" }, "Signed in with an access key: it works on bins only, as it was granted. Crossed-out pages need the master key."),
    form,
    h("h2", {}, "Bins"),
    h(
      "ul",
      {},
      navLink("Uncategorized", "#/bins/uncategorized", { enabled: app.master }),
      (collections || []).map((collection) => navLink(collection.collectionMeta?.name || collection.record, `#/bins/${collection.record}`)),
    ),
    app.master && collections === null ? h("button", { type: "button", class: "link", onclick: () => app.loadCollections().catch(report) }, "Load collections") : null,
    h("ul", {}, navLink("New bin", "#/new", { enabled: app.may("create"), reason: "This access key may not create bins" })),
    h("h2", {}, "Account"),
    h(
      "ul",
      {},
      navLink("Collections and schema docs", "#/schemas", { enabled: app.master }),
      navLink("Access keys", "#/keys", { enabled: app.master }),
      navLink("Usage", "#/usage"),
    ),
  );
}

function report(error) {
  app.say(error instanceof ApiError ? error.message : String(error));
}

function signInView(message) {
  navElement.hidden = true;
  const key = h("input", { id: "sign-in-key", type: "password", name: "key", autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": "sign-in-hint sign-in-error" });
  const error = h("p", { id: "sign-in-error", class: "error", role: "alert", hidden: !message }, message || "");
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "sign-in",
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        error.hidden = true;
        try {
          const [api, me] = await signIn(key.value.trim());
          saveSession(api.key, api.kind);
          start(api, me);
        } catch (refusal) {
          error.textContent = refusal instanceof ApiError ? refusal.message : String(refusal);
          error.hidden = false;
          button.disabled = false;
          key.focus();
        }
      },
    },
    h("h1", {}, "Sign in"),
    h("label", { for: "sign-in-key" }, "Master key or access key"),
    key,
    h(
      "p",
      { id: "sign-in-hint", class: "hint" },
      "The key stays in this tab only (sessionStorage) and is sent to this site's API alone. Signing in spends no request; with a master key, the side list of collections and the first page of bins then spend one each.",
    ),
    error,
    button,
  );
  replace(appElement, form);
  key.focus();
}

function signOut() {
  forgetSession();
  // A fresh page: nothing of the account (records, keys) stays in memory or on screen.
  location.replace(location.pathname);
}

function start(api, me) {
  app.api = api;
  app.me = me;
  // While requests are on their way the view says so (aria-busy), for screen readers and tests.
  api.onBusy = (pending) => document.getElementById("main").setAttribute("aria-busy", String(pending > 0));
  // A 401 may be about the bin (another account's) or about the key (revoked, rotated away): ask
  // /v3/me, which spends nothing, and say so only when the key itself is refused.
  let checkingKey = false;
  api.onAnswer = async (answer) => {
    if (answer.status !== 401 || checkingKey) return;
    checkingKey = true;
    try {
      await api.me();
    } catch (error) {
      if (error instanceof ApiError && error.answer.status === 401) {
        app.say("The API refused the key: it may have been revoked. Sign out and in again.");
      }
    } finally {
      checkingKey = false;
    }
  };
  renderAccount();
  renderNav();
  if (app.master) app.loadCollections().catch(report); // the side list: one request
  if (!location.hash.startsWith("#/")) location.hash = app.master ? "#/bins/uncategorized" : "#/usage";
  else route();
}

const ROUTES = [
  [/^#\/bins\/([^/?]+)$/, (id) => showBinList(app, id)],
  [/^#\/bin\/([^/?]+)$/, (id) => showBin(app, id)],
  [/^#\/new(?:\?collection=([^&]*))?$/, (collection) => showNewBin(app, collection)],
  [/^#\/schemas(?:\/([^/?]+))?$/, (id) => showSchemaDocs(app, id)],
  [/^#\/keys$/, () => showAccessKeys(app)],
  [/^#\/usage$/, () => showUsage(app)],
];

async function route() {
  if (!app.api || !location.hash.startsWith("#/")) return; // "#main" is the skip link's
  renderNav();
  const hash = location.hash;
  for (const [pattern, view] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      let argument;
      try {
        argument = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
      } catch {
        break; // a stray "%": no such page
      }
      const element = await view(argument);
      if (element && location.hash !== hash) {
        element.dispatchEvent(new Event("console:leave")); // the user went elsewhere meanwhile
      } else if (element) {
        appElement.firstElementChild?.dispatchEvent(new Event("console:leave")); // e.g. an editor to free
        replace(appElement, element);
        const heading = appElement.querySelector("h1");
        if (heading) {
          heading.tabIndex = -1;
          heading.focus();
        }
        document.title = `${heading ? heading.textContent + " · " : ""}binstore console`;
      }
      return;
    }
  }
  appElement.firstElementChild?.dispatchEvent(new Event("console:leave"));
  replace(appElement, h("h1", {}, "Nothing here"), h("p", {}, "This page does not exist in the console."));
}

window.addEventListener("hashchange", route);

const saved = savedSession();
if (saved) {
  const api = new Api(saved.key, saved.kind);
  api
    .me()
    .then((answer) => start(api, answer.json))
    .catch((error) => {
      if (error instanceof ApiError && error.answer.status === 401) forgetSession();
      signInView(error instanceof ApiError ? error.message : String(error));
    });
} else {
  signInView();
}
appElement.dataset.ready = "true";
