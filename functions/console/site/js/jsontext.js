// JSON as text, never through JSON.parse and back: a record's numbers stay exactly as stored
// (JavaScript would round 12345678901234567890 and turn 1.0 into 1). A scanner walks the text and
// re-lays it out: indented to edit, compact to send.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

// The end of the string token starting at text[start] === '"'.
function stringEnd(text, start) {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else i += 1;
  }
  return text.length;
}

// Tokens of a JSON text: punctuation, strings and bare words (numbers, true, false, null).
function* tokens(text) {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (WHITESPACE.has(c)) {
      i += 1;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      yield text.slice(i, end);
      i = end;
    } else if ("{}[],:".includes(c)) {
      yield c;
      i += 1;
    } else {
      let end = i;
      while (end < text.length && !WHITESPACE.has(text[end]) && !'{}[],:"'.includes(text[end])) end += 1;
      yield text.slice(i, end);
      i = end;
    }
  }
}

// The same JSON, without the whitespace between tokens: what is sent, and what sizes count.
export function compact(text) {
  let out = "";
  for (const token of tokens(text)) out += token;
  return out;
}

// The same JSON, two spaces an indent, for the editor. Empty {} and [] stay on one line.
export function indent(text, unit = "  ") {
  const parts = [];
  let depth = 0;
  let previous = null;
  for (const token of tokens(text)) {
    const justOpened = previous === "{" || previous === "[";
    if (token === "}" || token === "]") {
      depth -= 1;
      if (!justOpened) parts.push("\n" + unit.repeat(depth));
    } else if (justOpened) {
      parts.push("\n" + unit.repeat(depth));
    }
    if (token === ",") parts.push(",\n" + unit.repeat(depth));
    else if (token === ":") parts.push(": ");
    else parts.push(token);
    if (token === "{" || token === "[") depth += 1;
    previous = token;
  }
  return parts.join("");
}

// The raw text of a top-level member's value in a JSON object's text ({"record": ..., ...}).
export function memberText(text, name) {
  let depth = 0;
  let expectKey = false;
  let key = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) key = JSON.parse(text.slice(i, end));
      expectKey = false;
      i = end;
      continue;
    }
    if (c === "{" || c === "[") {
      depth += 1;
      expectKey = c === "{" && depth === 1;
    } else if (c === "}" || c === "]") {
      depth -= 1;
    } else if (c === "," && depth === 1) {
      expectKey = true;
    } else if (c === ":" && depth === 1 && key === name) {
      return valueAt(text, i + 1);
    }
    i += 1;
  }
  return undefined;
}

function valueAt(text, start) {
  let i = start;
  while (WHITESPACE.has(text[i])) i += 1;
  const from = i;
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i);
      if (depth === 0) return text.slice(from, i);
      continue;
    }
    if (c === "{" || c === "[") depth += 1;
    else if (c === "}" || c === "]") {
      if (depth === 0) return text.slice(from, i).trimEnd();
      depth -= 1;
      if (depth === 0) return text.slice(from, i + 1);
    } else if (c === "," && depth === 0) return text.slice(from, i).trimEnd();
    i += 1;
  }
  return text.slice(from).trimEnd();
}

// Where a text stops being JSON: {line, column, message}, or null if it is JSON. JSON.parse decides
// and words it; the offset is found by walking the text, since V8 does not always give one.
export function syntaxError(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const offset = errorOffset(text);
    const before = text.slice(0, offset).split("\n");
    return { line: before.length, column: before[before.length - 1].length + 1, message: clean(String(error.message)) };
  }
}

function clean(message) {
  return message.replace(/ (in JSON )?at position \d+( \(line \d+ column \d+\))?/, "").replace(/, ".*" is not valid JSON$/s, "");
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

// The offset of the first character that cannot continue a JSON text (a plain walk of the grammar).
function errorOffset(text) {
  let i = 0;
  const fail = () => { throw i; };
  const skip = () => { while (i < text.length && WHITESPACE.has(text[i])) i += 1; };
  function string() {
    i += 1;
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") fail();
      if (c === '"') { i += 1; return; }
      if (c === "\\") {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { i += 2; fail(); }
          i += 6;
        } else if (ESCAPES.has(next)) i += 2;
        else { i += 1; fail(); }
      } else i += 1;
    }
  }
  function value() {
    skip();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i += 1;
      skip();
      if (text[i] === close) { i += 1; return; }
      for (;;) {
        if (c === "{") {
          skip();
          if (text[i] !== '"') fail();
          string();
          skip();
          if (text[i] !== ":") fail();
          i += 1;
        }
        value();
        skip();
        if (text[i] === ",") { i += 1; continue; }
        if (text[i] === close) { i += 1; return; }
        fail();
      }
    }
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) { i += word.length; return; }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) { i = NUMBER.lastIndex; return; }
    fail();
  }
  try {
    value();
    skip();
    return i < text.length ? i : text.length;
  } catch (offset) {
    return typeof offset === "number" ? offset : 0; // 0: nested past the stack; said at the start
  }
}
