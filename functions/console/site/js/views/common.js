// Pieces several views share.

import { ApiError } from "../api.js";
import { h, showError } from "../dom.js";

// The largest record each plan stores, in bytes as sent (the README's Limits).
export const RECORD_LIMIT = { free: 512000, pro: 1048576 };

export function messageOf(error) {
  return error instanceof ApiError ? error.message : String(error);
}

// A view that could not load: its title and the API's message.
export function failedView(title, error) {
  return h("section", {}, h("h1", {}, title), h("p", { class: "error", role: "alert" }, messageOf(error)));
}

export function notAllowedView(title, reason) {
  return h("section", {}, h("h1", {}, title), h("p", { class: "notice" }, reason));
}

// A modal question; resolves true when the user confirms. <dialog> keeps focus inside and Escape
// cancels it.
export function confirmDialog({ title, text, confirm }) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: "danger" }, confirm);
    const no = h("button", { type: "button", class: "secondary" }, "Cancel");
    const dialog = h("dialog", { "aria-labelledby": "dialog-title" }, h("h2", { id: "dialog-title" }, title), h("p", {}, text), h("div", { class: "actions" }, no, yes));
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener("click", () => close(true));
    no.addEventListener("click", () => close(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

// A button that spends requests says how many, so nothing costs a request by surprise.
export function costly(label, requests = 1) {
  return `${label} (${requests} request${requests === 1 ? "" : "s"})`;
}

// A button's (or a form's) work, one run at a time: while it runs the button says so (aria-busy)
// and further clicks are ignored; the button's own disabled state is left to the work. With an
// error slot, a refusal shows there (cleared when the work starts again).
export function busy(button, work, errorSlot = null) {
  return async (event) => {
    if (event?.type === "submit") event.preventDefault();
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    if (errorSlot) showError(errorSlot, "");
    try {
      await work(event);
    } catch (error) {
      if (!errorSlot) throw error;
      showError(errorSlot, messageOf(error));
    } finally {
      button.removeAttribute("aria-busy");
    }
  };
}
