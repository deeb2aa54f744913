// The JSON editor: Ace (vendor/ace-1.45.2), in its strict-CSP mode, so it injects no <style> and the
// page's Content-Security-Policy can forbid inline style. Syntax errors are found as the user types
// (JSON.parse, on a pause) and shown in the gutter and in words under the editor, before any send.

import { h } from "./dom.js";
import { compact, syntaxError } from "./jsontext.js";

const ace = window.ace;
ace.config.set("useStrictCSP", true);
// No syntax worker: it would start from a blob: URL, which the CSP refuses; checked here instead.
ace.config.setDefaultValue("session", "useWorker", false);

export function createEditor({ label, text = "", readOnly = false, limitBytes = null, onValidity = () => {} }) {
  const host = h("div", { class: "editor", role: "group", "aria-label": label });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const size = h("p", { class: "hint" });
  const element = h("div", { class: "editor-wrap" }, host, problem, size);
  const editor = ace.edit(host, {
    mode: "ace/mode/json",
    value: text,
    readOnly,
    showPrintMargin: false,
    tabSize: 2,
    useSoftTabs: true,
    wrap: false,
    // What is typed is what is stored: no brackets or quotes inserted behind the cursor.
    behavioursEnabled: false,
    fontSize: "14px",
    // Tab indents inside the editor; Escape then Tab leaves it: no keyboard trap.
    enableKeyboardAccessibility: true,
  });
  editor.renderer.textarea.setAttribute("aria-label", label);
  editor.session.setUndoManager(new ace.UndoManager());
  let timer = null;
  let valid = true;

  function check() {
    const value = editor.getValue();
    const error = value.trim() === "" ? { line: 1, column: 1, message: "Empty: a record is JSON" } : syntaxError(value);
    if (error) {
      editor.session.setAnnotations([{ row: error.line - 1, column: error.column - 1, text: error.message, type: "error" }]);
      problem.textContent = `Not JSON yet, line ${error.line}, column ${error.column}: ${error.message}`;
      problem.hidden = false;
      size.textContent = "";
    } else {
      editor.session.clearAnnotations();
      problem.hidden = true;
      const bytes = new TextEncoder().encode(compact(value)).length;
      size.textContent = limitBytes
        ? `${kb(bytes)} of the ${kb(limitBytes)} your plan allows, as sent (compact)`
        : `${kb(bytes)} as sent (compact)`;
    }
    valid = !error;
    onValidity(valid);
  }

  if (!readOnly) {
    editor.session.on("change", () => {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
    check();
  }

  return {
    element,
    get value() { return editor.getValue(); },
    set value(text) {
      editor.setValue(text, -1);
      if (!readOnly) check();
    },
    get valid() {
      if (!readOnly && timer) { clearTimeout(timer); timer = null; check(); }
      return valid;
    },
    focus() { editor.focus(); },
    destroy() { clearTimeout(timer); editor.destroy(); },
    ace: editor,
  };
}

function kb(bytes) {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}
