// One bin: its record in the editor, saved with If-Match (a 412 shows what changed on the server),
// versioning per save, the kept versions compared with the latest on demand, privacy, name,
// delete, and the read-only JSONPath view.

import { errorSlot, field, h, replace, showError, when } from "../dom.js";
import { compact, indent, memberText } from "../jsontext.js";
import { createEditor } from "../editor.js";
import { sideBySide } from "../diffview.js";
import { busy, confirmDialog, costly, failedView, messageOf, notAllowedView, RECORD_LIMIT } from "./common.js";

const MASTER_ONLY = "Needs the master key";

export async function showBin(app, id) {
  if (!app.may("read")) return notAllowedView("Bin", "This access key may not read bins.");
  // Just created: shown from the create's answer (record, metadata and ETag, as a read has them).
  let answer = app.takePrefetched(`bin:${id}`);
  try {
    answer ??= await app.api.readBin(id);
  } catch (error) {
    return failedView("Bin", error);
  }
  app.refreshAccount();
  const metadata = answer.json.metadata;
  // What the server holds, as last read or saved: the left side of a conflict, the "latest" of a
  // version comparison. Its ETag goes in If-Match.
  let server = { text: indent(memberText(answer.text, "record")), etag: answer.etag };
  let isPrivate = metadata.private;

  const title = h("h1", {}, metadata.name || "Unnamed bin");
  const saveButton = h("button", { type: "button" }, costly("Save"));
  const editor = createEditor({
    label: "Record",
    text: server.text,
    limitBytes: RECORD_LIMIT[app.plan],
    onValidity: (valid) => { saveButton.disabled = !valid || !app.may("update"); },
  });
  const keepVersion = h("input", { type: "checkbox", id: "keep-version" });
  keepVersion.checked = !isPrivate;
  const versioningHint =
    app.plan === "free"
      ? "Versioning is a pro plan feature."
      : "Keeps the record as it is now as a version before saving yours (public bins keep versions unless you untick this).";
  if (app.plan === "free") {
    keepVersion.checked = false;
    keepVersion.disabled = true;
  }
  const saveError = errorSlot(saveButton);
  const conflict = h("section", { class: "conflict", hidden: true, "aria-labelledby": "conflict-title" });
  if (!app.may("update")) {
    saveButton.disabled = true;
    saveButton.title = "This access key may not update bins";
  }

  async function save({ ifMatch }) {
    showError(saveError, "");
    if (!editor.valid) {
      showError(saveError, "The record is not JSON yet: see the message under the editor.");
      return;
    }
    const mine = editor.value;
    try {
      const saved = await app.api.updateBin(id, compact(mine), { versioning: keepVersion.checked, ifMatch });
      server = { text: indent(compact(mine)), etag: saved.etag };
      conflict.hidden = true;
      const version = saved.json.metadata.version;
      if (version !== undefined) versions.reset(); // the list shown is out of date
      app.say(version === undefined ? "Saved" : `Saved; the previous record is kept as a version (latest is now version ${version})`);
      app.refreshAccount();
    } catch (error) {
      if (error.answer?.status === 412) await showConflict(indent(compact(mine)));
      else showError(saveError, messageOf(error));
    }
  }

  // If-Match refused: someone changed the bin since it was read. Read it again (1 request) and show
  // theirs beside ours. A change of name or privacy alone moves the ETag too: then the record on
  // the server is still the one this editor started from, and the save goes ahead with the new tag.
  async function showConflict(mine) {
    let latest;
    try {
      latest = await app.api.readBin(id);
    } catch (error) {
      showError(saveError, messageOf(error));
      return;
    }
    const theirs = indent(memberText(latest.text, "record"));
    if (theirs === server.text) {
      server = { text: theirs, etag: latest.etag };
      await save({ ifMatch: server.etag });
      return;
    }
    const reload = h("button", { type: "button", class: "secondary" }, "Load the server's record (drops your changes)");
    const overwrite = h("button", { type: "button", class: "danger" }, costly("Overwrite with mine"));
    reload.addEventListener("click", () => {
      server = { text: theirs, etag: latest.etag };
      editor.value = theirs;
      conflict.hidden = true;
      app.say("Loaded the server's record");
    });
    overwrite.addEventListener("click", busy(overwrite, () => save({ ifMatch: latest.etag })));
    replace(
      conflict,
      h("h2", { id: "conflict-title" }, "This bin changed since you opened it"),
      h("p", {}, "Your save was refused (412) and nothing was written. Left: the record on the server now. Right: yours."),
      sideBySide(theirs, mine, { leftTitle: "On the server", rightTitle: "Yours" }),
      h("div", { class: "actions" }, reload, overwrite),
    );
    conflict.hidden = false;
    conflict.scrollIntoView({ block: "start" });
    conflict.querySelector("h2").tabIndex = -1;
    conflict.querySelector("h2").focus({ preventScroll: true });
  }

  saveButton.addEventListener("click", busy(saveButton, () => save({ ifMatch: server.etag })));
  const versions = versionsSection(app, id, () => server.text, editor);

  const privacyText = h("span", { class: "privacy" }, isPrivate ? "Private" : "Public");
  const privacyButton = h("button", { type: "button", class: "secondary" }, isPrivate ? costly("Make public") : costly("Make private"));
  const privacyError = errorSlot(privacyButton);
  privacyButton.addEventListener(
    "click",
    busy(
      privacyButton,
      async () => {
        const answer = await app.api.setPrivacy(id, !isPrivate);
        server.etag = answer.etag ?? server.etag; // the change moved the revision: a save needs the new tag
        isPrivate = !isPrivate;
        if (app.plan !== "free") keepVersion.checked = !isPrivate; // the default for the new privacy
        privacyText.textContent = isPrivate ? "Private" : "Public";
        privacyButton.textContent = isPrivate ? costly("Make public") : costly("Make private");
        app.say(isPrivate ? "The bin is private" : "The bin is public: anyone with its id can read it");
        app.refreshAccount();
      },
      privacyError,
    ),
  );

  const name = h("input", { id: "bin-name", value: metadata.name || "" });
  const rename = h("button", { type: "submit", class: "secondary" }, costly("Rename"));
  const nameError = errorSlot(name);
  const nameForm = h(
    "form",
    {
      class: "inline-form",
      onsubmit: busy(
        rename,
        async () => {
          const answer = await app.api.setName(id, name.value);
          server.etag = answer.etag ?? server.etag;
          metadata.name = name.value;
          title.textContent = name.value;
          document.title = `${name.value} · binstore console`;
          app.say("Bin renamed");
          app.refreshAccount();
        },
        nameError,
      ),
    },
    field("Name", name),
    rename,
    nameError,
  );

  const deleteButton = h("button", { type: "button", class: "danger" }, "Delete bin…");
  const deleteError = errorSlot(deleteButton);
  deleteButton.addEventListener("click", busy(deleteButton, async () => {
    const sure = await confirmDialog({
      title: "Delete this bin?",
      text: `“${metadata.name || id}”: its record, every version and every stored body are deleted. This cannot be undone.`,
      confirm: "Delete",
    });
    if (!sure) {
      deleteButton.focus();
      return;
    }
    try {
      await app.api.deleteBin(id);
      app.say("Bin deleted");
      app.refreshAccount();
      app.go(app.master ? `#/bins/${metadata.collectionId || "uncategorized"}` : "#/usage");
    } catch (error) {
      showError(deleteError, messageOf(error));
    }
  }));
  if (!app.master) {
    for (const control of [privacyButton, rename, name]) {
      control.disabled = true;
      control.title = MASTER_ONLY;
    }
  }
  if (!app.may("delete")) {
    deleteButton.disabled = true;
    deleteButton.title = "This key may not delete bins";
  }

  const section = h(
    "section",
    { class: "bin" },
    title,
    h(
      "dl",
      { class: "meta" },
      h("dt", {}, "Bin id"),
      h("dd", {}, h("code", {}, id)),
      h("dt", {}, "Privacy"),
      h("dd", {}, privacyText),
      h("dt", {}, "Created"),
      h("dd", {}, when(metadata.createdAt)),
      metadata.collectionId ? [h("dt", {}, "Collection"), h("dd", {}, h("a", { href: `#/bins/${metadata.collectionId}` }, h("code", {}, metadata.collectionId)))] : null,
    ),
    editor.element,
    h("div", { class: "save-bar" }, h("div", { class: "check" }, keepVersion, h("label", { for: "keep-version" }, "Keep a version")), saveButton),
    h("p", { class: "hint" }, versioningHint),
    saveError,
    conflict,
    versions.element,
    jsonPathSection(app, id),
    h("section", { class: "settings" }, h("h2", {}, "Settings"), nameForm, h("div", { class: "inline-form" }, privacyButton), privacyError, h("div", {}, deleteButton), deleteError),
  );
  section.addEventListener("console:leave", () => editor.destroy());
  return section;
}

// The kept versions, on demand: the count spends a request, each comparison another.
function versionsSection(app, id, latestText, editor) {
  const list = h("ol", { class: "versions", reversed: true });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const comparison = h("section", { class: "comparison", "aria-labelledby": "comparison-title" });
  const show = h("button", { type: "button", class: "secondary" }, costly("Show versions"));
  show.addEventListener(
    "click",
    busy(show, async () => {
      showError(problem, "");
      let count;
      try {
        count = (await app.api.versionCount(id)).json.metadata.versionCount;
      } catch (error) {
        showError(problem, messageOf(error));
        return;
      }
      app.refreshAccount();
      if (count === 0) {
        replace(list, h("li", {}, "No versions kept: the record has only ever been saved without one."));
        return;
      }
      const items = [h("li", {}, `Version ${count}: the latest (in the editor)`)];
      for (let version = count - 1; version >= 0; version -= 1) {
        const compare = h("button", { type: "button", class: "secondary small" }, costly(`Compare version ${version} with the latest`));
        compare.addEventListener("click", busy(compare, () => compareVersion(version)));
        items.push(h("li", {}, h("span", {}, `Version ${version} `), compare));
      }
      replace(list, items);
    }),
  );

  async function compareVersion(version) {
    showError(problem, "");
    let answer;
    try {
      answer = await app.api.readVersion(id, version);
    } catch (error) {
      showError(problem, messageOf(error));
      return;
    }
    app.refreshAccount();
    const text = indent(memberText(answer.text, "record"));
    const load = h("button", { type: "button", class: "secondary" }, `Put version ${version} in the editor`);
    load.addEventListener("click", () => {
      editor.value = text;
      app.say(`Version ${version} is in the editor: save to make it the latest`);
    });
    replace(comparison, h("h3", { id: "comparison-title" }, `Version ${version} and the latest`), sideBySide(text, latestText(), { leftTitle: `Version ${version}`, rightTitle: "Latest" }), load);
    comparison.scrollIntoView({ block: "start" });
  }

  return {
    element: h("section", { class: "versions-section" }, h("h2", {}, "Versions"), show, problem, list, comparison),
    reset() {
      replace(list);
      replace(comparison);
    },
  };
}

// X-JSON-Path: part of the record, read-only. The answer is shown as text.
function jsonPathSection(app, id) {
  const expression = h("input", { id: "json-path", spellcheck: "false", autocomplete: "off", placeholder: "$.users[*].name" });
  const run = h("button", { type: "submit", class: "secondary" }, costly("Query"));
  const problem = errorSlot(expression);
  const result = h("pre", { class: "json-result", tabindex: "0", "aria-label": "JSONPath result", hidden: true });
  const form = h(
    "form",
    {
      onsubmit: busy(
        run,
        async () => {
          result.hidden = true;
          const answer = await app.api.queryBin(id, expression.value);
          result.textContent = indent(memberText(answer.text, "record"));
          result.hidden = false;
          app.refreshAccount();
        },
        problem,
      ),
    },
    field("JSONPath", expression, "Reads the matches from the latest record; nothing is changed."),
    problem,
    run,
  );
  return h("section", { class: "json-path" }, h("h2", {}, "Query with JSONPath"), form, result);
}
