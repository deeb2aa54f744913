// Collections and schema docs: create a collection, create a schema doc (its errors next to the
// field they concern), open one by id to change it or attach it to a collection.

import { errorSlot, field, h, showError, when } from "../dom.js";
import { compact, indent, memberText } from "../jsontext.js";
import { createEditor } from "../editor.js";
import { busy, costly, failedView, messageOf, notAllowedView } from "./common.js";

export async function showSchemaDocs(app, schemaDocId) {
  if (!app.master) return notAllowedView("Collections and schema docs", "Needs the master key.");
  if (schemaDocId) return showSchemaDoc(app, schemaDocId);
  let collections;
  try {
    collections = await app.loadCollections();
  } catch (error) {
    return failedView("Collections and schema docs", error);
  }

  const collectionName = h("input", { id: "new-collection-name", autocomplete: "off" });
  const collectionError = errorSlot(collectionName);
  const createCollection = h("button", { type: "submit" }, costly("Create collection"));
  const collectionForm = h(
    "form",
    {
      onsubmit: busy(
        createCollection,
        async () => {
          const answer = await app.api.createCollection(collectionName.value);
          const { name, createdAt } = answer.json.metadata;
          app.addCollection({ record: answer.json.record, collectionMeta: { name }, schemaDocId: null, createdAt });
          app.say("Collection created");
          app.go(`#/bins/${answer.json.record}`);
        },
        collectionError,
      ),
    },
    h("h2", {}, "New collection"),
    field("Collection name", collectionName),
    collectionError,
    createCollection,
  );

  const table = h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ["Collection", "Id", "Schema doc", "Created"].map((each) => h("th", { scope: "col" }, each)))),
    h(
      "tbody",
      {},
      collections.length === 0
        ? h("tr", {}, h("td", { colspan: 4 }, "No collections yet."))
        : collections.map((each) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/bins/${each.record}` }, each.collectionMeta?.name || each.record)),
              h("td", {}, h("code", {}, each.record)),
              h("td", {}, each.schemaDocId ? h("a", { href: `#/schemas/${each.schemaDocId}` }, h("code", {}, each.schemaDocId)) : "none"),
              h("td", {}, when(each.createdAt)),
            ),
          ),
    ),
  );

  const docName = h("input", { id: "new-schema-doc-name", autocomplete: "off" });
  const docNameError = errorSlot(docName);
  const createDoc = h("button", { type: "submit" }, costly("Create schema doc"));
  const editor = createEditor({
    label: "JSON Schema",
    text: '{\n  "type": "object",\n  "required": ["name"],\n  "properties": {\n    "name": {"type": "string"}\n  }\n}',
    onValidity: (valid) => { createDoc.disabled = !valid; },
  });
  const schemaError = errorSlot(createDoc);
  const docForm = h(
    "form",
    {
      onsubmit: busy(createDoc, async () => {
        showError(docNameError, "");
        showError(schemaError, "");
        try {
          const answer = await app.api.createSchemaDoc(docName.value, compact(editor.value));
          app.prefetched.set(`schema:${answer.json.metadata.id}`, answer);
          app.say("Schema doc created");
          app.go(`#/schemas/${answer.json.metadata.id}`);
        } catch (error) {
          const message = messageOf(error);
          if (/Schema-Doc-Name|Name of the Schema Doc/i.test(message)) showError(docNameError, message);
          else showError(schemaError, message);
        }
      }),
    },
    h("h2", {}, "New schema doc"),
    field("Schema doc name", docName),
    docNameError,
    editor.element,
    schemaError,
    createDoc,
  );

  const openId = h("input", { id: "open-schema-doc", spellcheck: "false", autocomplete: "off" });
  const openForm = h(
    "form",
    { onsubmit: (event) => { event.preventDefault(); if (openId.value.trim()) app.go(`#/schemas/${encodeURIComponent(openId.value.trim())}`); } },
    h("h2", {}, "Open a schema doc"),
    field("Schema doc id", openId),
    h("button", { type: "submit", class: "secondary" }, "Open"),
  );

  const section = h("section", {}, h("h1", {}, "Collections and schema docs"), h("div", { class: "table-scroll" }, table), collectionForm, docForm, openForm);
  section.addEventListener("console:leave", () => editor.destroy());
  return section;
}

async function showSchemaDoc(app, id) {
  // Just created: shown from the create's answer, which holds the same as a read.
  let answer = app.takePrefetched(`schema:${id}`);
  try {
    answer ??= await app.api.readSchemaDoc(id);
  } catch (error) {
    return failedView("Schema doc", error);
  }
  app.refreshAccount();
  const metadata = answer.json.metadata;
  const save = h("button", { type: "button" }, costly("Save schema"));
  const editor = createEditor({
    label: "JSON Schema",
    text: indent(memberText(answer.text, "record")),
    onValidity: (valid) => { save.disabled = !valid; },
  });
  const saveError = errorSlot(save);
  save.addEventListener(
    "click",
    busy(
      save,
      async () => {
        await app.api.updateSchemaDoc(id, compact(editor.value));
        app.say("Schema saved: bins of collections using it must match it from their next write");
        app.refreshAccount();
      },
      saveError,
    ),
  );
  const collections = await app.loadCollections().catch(() => []);
  const target = h("select", { id: "attach-to" }, collections.map((each) => h("option", { value: each.record }, each.collectionMeta?.name || each.record)));
  const attach = h("button", { type: "submit", class: "secondary", disabled: collections.length === 0 }, costly("Attach"));
  const attachError = errorSlot(target);
  const attachForm = h(
    "form",
    {
      onsubmit: busy(
        attach,
        async () => {
          await app.api.attachSchemaDoc(target.value, id);
          app.changeCollection(target.value, { schemaDocId: id });
          app.say("Attached: the collection's bins must now match this schema doc");
        },
        attachError,
      ),
    },
    field("Attach to collection", target),
    attachError,
    attach,
  );
  const section = h(
    "section",
    {},
    h("h1", {}, metadata.name || "Schema doc"),
    h("dl", { class: "meta" }, h("dt", {}, "Schema doc id"), h("dd", {}, h("code", {}, id)), h("dt", {}, "Created"), h("dd", {}, when(metadata.createdAt))),
    editor.element,
    saveError,
    save,
    h("h2", {}, "Use it"),
    attachForm,
  );
  section.addEventListener("console:leave", () => editor.destroy());
  return section;
}
