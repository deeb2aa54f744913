// The account: plan, requests left, and the usage logs (on demand: each read spends a request).

import { h, replace, showError } from "../dom.js";
import { firstFileText } from "../zip.js";
import { busy, costly, messageOf } from "./common.js";

const SHOWN_LINES = 200;

export async function showUsage(app) {
  await app.refreshAccount();
  const { key, account } = app.me;
  const summary = h(
    "dl",
    { class: "meta" },
    h("dt", {}, "Plan"),
    h("dd", {}, account.plan),
    h("dt", {}, "Requests left"),
    h("dd", {}, account.requestsRemaining.toLocaleString("en")),
    account.accessKeys !== undefined ? [h("dt", {}, "Access keys"), h("dd", {}, String(account.accessKeys))] : null,
    h("dt", {}, "Signed in with"),
    h("dd", {}, key.kind === "master" ? "the master key" : `the access key “${key.name}” (${Object.entries(key.keyPermissions?.bins || {}).filter(([, on]) => on).map(([name]) => name).join(", ")})`),
  );
  const days = h("ul", { class: "days" });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const log = h("div", { class: "log" });
  let downloadUrl = "";
  const load = h("button", { type: "button", class: "secondary", disabled: !app.master, title: app.master ? false : "Needs the master key" }, costly("Show the days with a log"));
  load.addEventListener(
    "click",
    busy(load, async () => {
      showError(problem, "");
      try {
        const answer = await app.api.usageDays();
        replace(days, answer.json.logs.map((day) => h("li", {}, dayButton(day))));
        app.refreshAccount();
      } catch (error) {
        showError(problem, messageOf(error));
      }
    }),
  );
  if (!app.master) load.disabled = true;

  function dayButton(day) {
    const button = h("button", { type: "button", class: "secondary small" }, costly(`Show ${day}`));
    button.addEventListener(
      "click",
      busy(button, async () => {
        showError(problem, "");
        try {
          const answer = await app.api.usageLog(day);
          const lines = (await firstFileText(answer.bytes)).split("\n").filter(Boolean);
          const recent = lines.slice(-SHOWN_LINES).reverse().map((line) => {
            try {
              return JSON.parse(line);
            } catch {
              return { route: line };
            }
          });
          URL.revokeObjectURL(downloadUrl); // the previous day's, if any
          downloadUrl = URL.createObjectURL(new Blob([answer.bytes], { type: "application/zip" }));
          const download = h("a", { href: downloadUrl, download: `${day}.zip` }, `Download ${day}.zip`);
          replace(
            log,
            h("h2", {}, `Requests on ${day}`),
            h("p", {}, `${lines.length} request${lines.length === 1 ? "" : "s"}${lines.length > SHOWN_LINES ? `; the latest ${SHOWN_LINES} shown, newest first` : ", newest first"}. `, download),
            h(
              "div",
              { class: "table-scroll" },
              h(
                "table",
                {},
                h("thead", {}, h("tr", {}, ["Time", "Method", "Route", "Bin", "Status"].map((each) => h("th", { scope: "col" }, each)))),
                h("tbody", {}, recent.map((entry) => h("tr", {}, [entry.time, entry.method, entry.route, entry.binId, entry.status].map((value) => h("td", {}, value ?? ""))))),
              ),
            ),
          );
          app.refreshAccount();
        } catch (error) {
          showError(problem, messageOf(error));
        }
      }),
    );
    return button;
  }

  const section = h(
    "section",
    {},
    h("h1", {}, "Usage"),
    summary,
    h("h2", {}, "Usage logs"),
    h("p", { class: "hint" }, "Every request made with this account's keys, a day a file. A request shows here about a minute after it is made."),
    load,
    app.master ? null : h("p", { class: "hint" }, "Reading the usage logs needs the master key."),
    problem,
    days,
    log,
  );
  section.addEventListener("console:leave", () => URL.revokeObjectURL(downloadUrl));
  return section;
}
