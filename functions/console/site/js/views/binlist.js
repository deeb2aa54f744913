// A collection's bins, or the uncategorized ones: 10 a page, newest or oldest first, from the
// listing routes. Each page spends one request; pages already seen are not asked again until the
// order changes.

import { errorSlot, field, h, replace, showError, when } from "../dom.js";
import { busy, costly, failedView, messageOf, notAllowedView } from "./common.js";

const PAGE_SIZE = 10;

export async function showBinList(app, collectionId) {
  if (!app.master) return notAllowedView("Bins", "Listing bins needs the master key. Open a bin by its id instead.");
  let collection = null;
  if (collectionId !== "uncategorized") {
    try {
      collection = (await app.loadCollections()).find((each) => each.record === collectionId) || null;
    } catch (error) {
      return failedView("Bins", error);
    }
    if (!collection) return failedView("Bins", "Collection not found");
  }
  const title = collection ? collection.collectionMeta?.name || collection.record : "Uncategorized bins";
  const heading = h("h1", {}, title);

  const order = h("select", { id: "bin-order" }, h("option", { value: "descending" }, "Newest first"), h("option", { value: "ascending" }, "Oldest first"));
  const rows = h("tbody");
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const pageLabel = h("span", { class: "page-label", "aria-live": "polite" });
  const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary" }, costly("Next page"));
  // pages[i] is the last bin id before page i (undefined for the first page)
  let pages = [undefined];
  let page = 0;

  // Shows page `wanted`; refused, the page shown stays (and says why).
  async function load(wanted) {
    showError(problem, "");
    let bins;
    try {
      bins = (await app.api.listBins(collectionId, { after: pages[wanted], order: order.value })).json;
    } catch (error) {
      showError(problem, messageOf(error));
      return;
    }
    page = wanted;
    replace(
      rows,
      bins.length === 0
        ? h("tr", {}, h("td", { colspan: 4 }, page === 0 ? "No bins here yet." : "No more bins."))
        : bins.map((bin) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/bin/${bin.record}` }, bin.snippetMeta?.name || "(unnamed)")),
              h("td", {}, h("code", {}, bin.record)),
              h("td", {}, bin.private ? "private" : "public"),
              h("td", {}, when(bin.createdAt)),
            ),
          ),
    );
    pages[page + 1] = bins.length === PAGE_SIZE ? bins[bins.length - 1].record : null;
    previous.disabled = page === 0;
    next.disabled = pages[page + 1] === null;
    pageLabel.textContent = `Page ${page + 1}`;
    app.refreshAccount();
  }

  previous.addEventListener("click", busy(previous, () => load(page - 1)));
  next.addEventListener("click", busy(next, () => load(page + 1)));
  order.addEventListener("change", () => { pages = [undefined]; load(0); });

  const table = h(
    "table",
    { class: "bins" },
    h("caption", { class: "visually-hidden" }, h("span", { class: "collection-title" }, title), ", 10 a page"),
    h("thead", {}, h("tr", {}, ["Name", "Bin id", "Privacy", "Created"].map((name) => h("th", { scope: "col" }, name)))),
    rows,
  );
  const section = h(
    "section",
    {},
    heading,
    collection ? h("p", { class: "meta" }, "Collection ", h("code", {}, collection.record)) : null,
    h(
      "div",
      { class: "toolbar" },
      field("Order", order),
      h("a", { class: "button", href: collection ? `#/new?collection=${collection.record}` : "#/new" }, "New bin here"),
    ),
    problem,
    h("div", { class: "table-scroll" }, table),
    h("div", { class: "pager" }, previous, pageLabel, next),
    collection ? collectionSettings(app, collection, heading) : null,
  );
  load(0);
  return section;
}

function collectionSettings(app, collection, heading) {
  const name = h("input", { id: "collection-name", value: collection.collectionMeta?.name || "" });
  const nameError = errorSlot(name);
  const rename = h("button", { type: "submit" }, costly("Rename"));
  const schemaId = h("input", { id: "collection-schema-doc", value: collection.schemaDocId || "", spellcheck: "false", autocomplete: "off" });
  const schemaError = errorSlot(schemaId);
  const attach = h("button", { type: "submit" }, costly("Attach"));
  const detach = h("button", { type: "button", class: "secondary", disabled: !collection.schemaDocId }, costly("Detach"));
  const attachedLink = (id) => (id ? h("a", { href: `#/schemas/${encodeURIComponent(id)}` }, "Open the attached schema doc") : null);
  const attached = h("p", {}, attachedLink(collection.schemaDocId));

  const renameForm = h(
    "form",
    {
      onsubmit: busy(
        rename,
        async () => {
          await app.api.renameCollection(collection.record, name.value);
          app.changeCollection(collection.record, { collectionMeta: { ...collection.collectionMeta, name: name.value } });
          heading.textContent = name.value;
          for (const title of document.querySelectorAll(".collection-title")) title.textContent = name.value;
          document.title = `${name.value} · binstore console`;
          app.say("Collection renamed");
        },
        nameError,
      ),
    },
    field("Collection name", name),
    nameError,
    rename,
  );
  const schemaForm = h(
    "form",
    {
      onsubmit: busy(
        attach,
        async () => {
          const schemaDocId = schemaId.value.trim();
          await app.api.attachSchemaDoc(collection.record, schemaDocId);
          app.changeCollection(collection.record, { schemaDocId });
          replace(attached, attachedLink(schemaDocId));
          detach.disabled = false;
          app.say("Schema doc attached: the collection's bins must now match it");
        },
        schemaError,
      ),
    },
    field("Schema doc id", schemaId, "Records of this collection's bins must match the schema doc attached here."),
    schemaError,
    h("div", { class: "actions" }, attach, detach),
    attached,
  );
  detach.addEventListener(
    "click",
    busy(
      detach,
      async () => {
        await app.api.detachSchemaDoc(collection.record);
        app.changeCollection(collection.record, { schemaDocId: null });
        replace(attached);
        schemaId.value = "";
        detach.disabled = true;
        app.say("Schema doc detached");
      },
      schemaError,
    ),
  );
  return h("section", { class: "settings" }, h("h2", {}, "Collection settings"), renameForm, schemaForm);
}
