// Two JSON texts side by side, lines that differ marked (jsdiff, vendor/diff-9.0.0), runs of equal
// lines folded to a few lines of context. The work is bounded: past maxEditLength or the timeout,
// jsdiff gives up and the view says so, instead of freezing the tab on two 1 MB records.

import { h } from "./dom.js";

const CONTEXT = 3;

export function sideBySide(leftText, rightText, { leftTitle, rightTitle }) {
  const parts = window.Diff.diffLines(leftText, rightText, { maxEditLength: 4000, timeout: 2000 });
  const caption = h("caption", {}, `${leftTitle} (left) and ${rightTitle} (right)`);
  if (!parts) {
    return h("p", { class: "notice" }, `${leftTitle} and ${rightTitle} differ in too many lines to compare here.`);
  }
  if (parts.every((part) => !part.added && !part.removed)) {
    return h("p", { class: "notice" }, `${leftTitle} and ${rightTitle} are the same.`);
  }
  const rows = pairRows(parts);
  const body = h("tbody");
  let leftLine = 0;
  let rightLine = 0;
  rows.forEach((row, index) => {
    if (row.kind === "same" && !nearChange(rows, index)) {
      leftLine += 1;
      rightLine += 1;
      const last = body.lastElementChild;
      if (last && last.classList.contains("fold")) {
        last.dataset.count = String(Number(last.dataset.count) + 1);
        last.firstElementChild.textContent = `${last.dataset.count} unchanged lines`;
      } else {
        body.append(h("tr", { class: "fold", dataset: { count: "1" } }, h("td", { colspan: 4 }, "1 unchanged line")));
      }
      return;
    }
    const left = row.left !== undefined ? ++leftLine : "";
    const right = row.right !== undefined ? ++rightLine : "";
    body.append(
      h(
        "tr",
        { class: row.kind },
        h("td", { class: "line-number" }, left),
        h("td", { class: row.left !== undefined && row.kind !== "same" ? "removed" : "" }, row.left ?? ""),
        h("td", { class: "line-number" }, right),
        h("td", { class: row.right !== undefined && row.kind !== "same" ? "added" : "" }, row.right ?? ""),
      ),
    );
  });
  const head = h("thead", {}, h("tr", {}, h("th", { scope: "col", colspan: 2 }, leftTitle), h("th", { scope: "col", colspan: 2 }, rightTitle)));
  return h("div", { class: "diff-scroll" }, h("table", { class: "diff" }, caption, columns(), head, body));
}

// Widths come from these: with table-layout: fixed, the header's spanning cells would split evenly.
function columns() {
  return h("colgroup", {}, h("col", { class: "line-number" }), h("col"), h("col", { class: "line-number" }), h("col"));
}

function lines(part) {
  const text = part.value.endsWith("\n") ? part.value.slice(0, -1) : part.value;
  return text.split("\n");
}

// Removed lines followed by added ones sit side by side; equal lines on both sides.
function pairRows(parts) {
  const rows = [];
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i];
    if (!part.added && !part.removed) {
      for (const line of lines(part)) rows.push({ kind: "same", left: line, right: line });
    } else if (part.removed) {
      const removed = lines(part);
      const added = parts[i + 1]?.added ? lines(parts[(i += 1)]) : [];
      for (let j = 0; j < Math.max(removed.length, added.length); j += 1) {
        rows.push({ kind: "changed", left: removed[j], right: added[j] });
      }
    } else {
      for (const line of lines(part)) rows.push({ kind: "changed", right: line });
    }
  }
  return rows;
}

function nearChange(rows, index) {
  for (let j = Math.max(0, index - CONTEXT); j <= Math.min(rows.length - 1, index + CONTEXT); j += 1) {
    if (rows[j].kind !== "same") return true;
  }
  return false;
}
