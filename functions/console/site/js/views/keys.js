// Access keys: list, create with permissions (the key shown once, with a copy button), revoke.

import { errorSlot, field, h, replace, showError, when } from "../dom.js";
import { busy, confirmDialog, costly, failedView, messageOf, notAllowedView } from "./common.js";

const PERMISSIONS = ["create", "read", "update", "delete"];

export async function showAccessKeys(app) {
  if (!app.master) return notAllowedView("Access keys", "Managing access keys needs the master key.");
  let keys;
  try {
    keys = (await app.api.accessKeys()).json;
  } catch (error) {
    return failedView("Access keys", error);
  }
  app.refreshAccount();
  const rows = h("tbody");
  const listError = h("p", { class: "error", role: "alert", hidden: true });

  function render() {
    replace(
      rows,
      keys.length === 0
        ? h("tr", {}, h("td", { colspan: 4 }, "No access keys."))
        : keys.map((key) => {
            const revoke = h("button", { type: "button", class: "danger small", "aria-label": `Revoke ${key.metadata.name}` }, "Revoke…");
            revoke.addEventListener("click", busy(revoke, async () => {
              const sure = await confirmDialog({
                title: "Revoke this access key?",
                text: `“${key.metadata.name}” stops working on its next request. This cannot be undone. Revoking spends no request.`,
                confirm: "Revoke",
              });
              if (!sure) return revoke.focus();
              try {
                await app.api.deleteAccessKey(key.accessKeyId);
                keys = keys.filter((each) => each.accessKeyId !== key.accessKeyId);
                render();
                app.say(`Access key ${key.metadata.name} revoked`);
                app.refreshAccount();
              } catch (error) {
                showError(listError, messageOf(error));
              }
            }));
            const granted = PERMISSIONS.filter((permission) => key.keyPermissions?.bins?.[permission]);
            return h(
              "tr",
              {},
              h("td", {}, key.metadata.name),
              h("td", {}, h("code", {}, key.accessKeyId)),
              h("td", {}, granted.join(", ")),
              h("td", {}, when(key.metadata.createdAt), " ", revoke),
            );
          }),
    );
  }
  render();

  const name = h("input", { id: "access-key-name", autocomplete: "off" });
  const nameError = errorSlot(name);
  const boxes = Object.fromEntries(PERMISSIONS.map((permission) => [permission, h("input", { type: "checkbox", id: `permission-${permission}`, checked: permission === "read" })]));
  const create = h("button", { type: "submit" }, costly("Create access key"));
  const createError = errorSlot(create);
  const shown = h("div", { class: "new-key", hidden: true });
  const form = h(
    "form",
    {
      onsubmit: busy(create, async () => {
        showError(nameError, "");
        showError(createError, "");
        const bins = Object.fromEntries(PERMISSIONS.map((permission) => [permission, boxes[permission].checked]));
        try {
          const answer = await app.api.createAccessKey(name.value, bins);
          keys = [...keys, answer.json];
          render();
          showNewKey(answer.json);
          app.refreshAccount();
        } catch (error) {
          const message = messageOf(error);
          if (/Key-Name|Name of the Access Key/.test(message)) showError(nameError, message);
          else showError(createError, message);
        }
      }),
    },
    h("h2", {}, "New access key"),
    field("Key name", name),
    nameError,
    h("fieldset", {}, h("legend", {}, "It may, on this account's bins:"), PERMISSIONS.map((permission) => h("div", { class: "check" }, boxes[permission], h("label", { for: `permission-${permission}` }, permission)))),
    createError,
    create,
  );

  function showNewKey(created) {
    const value = h("input", { id: "new-access-key", readonly: true, value: created.accessKey, spellcheck: "false" });
    const copy = h("button", { type: "button", class: "secondary" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(created.accessKey);
        app.say("Copied");
      } catch {
        value.select();
        app.say("Select and copy it yourself: the browser refused the clipboard");
      }
    });
    replace(
      shown,
      h("h2", {}, "Your new access key"),
      h("p", { class: "warning" }, "It is shown this once: only its hash is stored. Copy it now."),
      field(`Access key “${created.metadata.name}”`, value),
      copy,
    );
    shown.hidden = false;
    value.focus();
    value.select();
  }

  return h(
    "section",
    {},
    h("h1", {}, "Access keys"),
    h("p", {}, "An access key may do to this account's bins only what it was granted. At most 4."),
    listError,
    h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Id", "Permissions", "Created"].map((each) => h("th", { scope: "col" }, each)))), rows)),
    shown,
    form,
  );
}
