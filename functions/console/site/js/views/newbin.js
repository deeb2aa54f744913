// Create a bin: a name, its privacy, a collection (or none), and its first record.

import { errorSlot, field, h, showError } from "../dom.js";
import { compact } from "../jsontext.js";
import { createEditor } from "../editor.js";
import { busy, costly, messageOf, notAllowedView, RECORD_LIMIT } from "./common.js";


export async function showNewBin(app, collectionId) {
  if (!app.may("create")) return notAllowedView("New bin", "This access key may not create bins.");
  let collections = [];
  try {
    collections = await app.loadCollections();
  } catch {
    /* the collection list stays empty: the bin can still be made uncategorized */
  }
  const name = h("input", { id: "new-bin-name", autocomplete: "off" });
  const nameError = errorSlot(name);
  const collection = h(
    "select",
    { id: "new-bin-collection", disabled: !app.master },
    h("option", { value: "" }, "None (uncategorized)"),
    collections.map((each) => h("option", { value: each.record, selected: each.record === collectionId }, each.collectionMeta?.name || each.record)),
  );
  const collectionError = errorSlot(collection);
  const isPrivate = h("input", { type: "checkbox", id: "new-bin-private", checked: true });
  const create = h("button", { type: "submit" }, costly("Create bin"));
  const editor = createEditor({
    label: "Record",
    text: '{\n  "sample": "Hello World"\n}',
    limitBytes: RECORD_LIMIT[app.plan],
    onValidity: (valid) => { create.disabled = !valid; },
  });
  const recordError = errorSlot(create);

  const form = h(
    "form",
    {
      class: "new-bin",
      onsubmit: busy(create, async () => {
        for (const slot of [nameError, collectionError, recordError]) showError(slot, "");
        if (!editor.valid) {
          showError(recordError, "The record is not JSON yet: see the message under the editor.");
          return;
        }
        try {
          const answer = await app.api.createBin(compact(editor.value), {
            name: name.value,
            isPrivate: isPrivate.checked,
            collectionId: collection.value,
          });
          app.prefetched.set(`bin:${answer.json.metadata.id}`, answer);
          app.say("Bin created");
          app.refreshAccount();
          app.go(`#/bin/${answer.json.metadata.id}`);
        } catch (error) {
          const message = messageOf(error);
          // Each refusal next to the field it concerns.
          if (/X-Bin-Name/.test(message)) showError(nameError, message);
          else if (/Collection/.test(message)) showError(collectionError, message);
          else showError(recordError, message);
        }
      }),
    },
    h("h1", {}, "New bin"),
    field("Name (optional)", name),
    nameError,
    field("Collection", collection, app.master ? "A bin in a collection must match the collection's schema doc, if it has one." : "Needs the master key"),
    collectionError,
    h("div", { class: "check" }, isPrivate, h("label", { for: "new-bin-private" }, "Private (a key is needed to read it)")),
    editor.element,
    recordError,
    create,
  );
  form.addEventListener("console:leave", () => editor.destroy());
  return form;
}
