// Building the page: every piece of text goes in as text (textContent), never as HTML, so a record,
// a name or an API message holding "<script>" or "<img onerror>" shows as those characters.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A labelled control: the label names the control for screen readers and tests alike.
let fieldCount = 0;
export function field(labelText, control, hint) {
  const id = control.id || `field-${++fieldCount}`;
  control.id = id;
  const parts = [h("label", { for: id }, labelText), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

// Where a field's error shows: right under it, announced, and tied to it with aria-describedby.
export function errorSlot(control) {
  if (!control.id) control.id = `field-${++fieldCount}`;
  const slot = h("p", { class: "error", role: "alert", hidden: true, id: `${control.id}-error` });
  const describedBy = control.getAttribute("aria-describedby");
  control.setAttribute("aria-describedby", describedBy ? `${describedBy} ${slot.id}` : slot.id);
  return slot;
}

export function showError(slot, message) {
  slot.textContent = message || "";
  slot.hidden = !message;
}

export function disabledFor(element, reason) {
  element.disabled = true;
  element.title = reason;
  element.setAttribute("aria-disabled", "true");
  return element;
}

export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? "") : date.toLocaleString();
}
