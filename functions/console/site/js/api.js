// The console's only way to the data: the public API, at this page's origin, with the user's key.
// Every answer becomes {ok, status, text, json, etag, message}; `message` is the API's own words
// (JSONBin's {"message": "..."}) whenever the API refused.

// An id typed by the user stays one path segment of its route: encoded, and never "." or "..",
// which the browser would resolve (/v3/b/.. is /v3/), reaching another route.
function seg(id) {
  const value = String(id);
  if (value === "" || value === "." || value === "..") throw new ApiError({ ok: false, status: 0, text: "", message: `Not an id: "${value}"` });
  return encodeURIComponent(value);
}

// Browsers send header values as Latin-1 only, and fetch refuses anything else: said in words,
// naming the header, before anything is sent.
function latin1Only(headers) {
  for (const [name, value] of Object.entries(headers)) {
    if (/[^\x00-\xff]/.test(value)) {
      throw new ApiError({ ok: false, status: 0, text: "", message: `${name} can hold Latin-1 characters only (é yes, € no): a browser cannot send others in a header` });
    }
  }
}

const KEY_HEADER = { master: "X-Master-Key", access: "X-Access-Key" };

export class ApiError extends Error {
  constructor(answer) {
    super(answer.message);
    this.answer = answer;
  }
}

async function answerOf(response) {
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const message =
    json && typeof json === "object" && !Array.isArray(json) && typeof json.message === "string"
      ? json.message
      : `The API answered ${response.status}${response.statusText ? " " + response.statusText : ""}`;
  return {
    ok: response.ok,
    status: response.status,
    text,
    json,
    etag: response.headers.get("ETag"),
    message: response.ok ? "" : message,
  };
}

export class Api {
  constructor(key, kind) {
    this.key = key;
    this.kind = kind;
    this.onAnswer = () => {};
    this.onBusy = () => {}; // told how many requests are on their way, whenever that changes
    this.pending = 0;
  }

  // One request. Writes carry an Idempotency-Key: if the connection drops or the API answers 503,
  // the same request is sent again (twice at most), and the API applies it once.
  async request(method, path, options = {}) {
    this.onBusy((this.pending += 1));
    try {
      return await this.send(method, path, options);
    } finally {
      this.onBusy((this.pending -= 1));
    }
  }

  async send(method, path, { headers = {}, body, bytes = false }) {
    latin1Only(headers);
    const sent = { ...headers, [KEY_HEADER[this.kind]]: this.key };
    if (body !== undefined) sent["Content-Type"] = "application/json";
    if (method !== "GET") sent["Idempotency-Key"] = crypto.randomUUID();
    let lastError;
    for (let attempt = 0; attempt < (method === "GET" ? 1 : 3); attempt += 1) {
      let response;
      try {
        response = await fetch(path, { method, headers: sent, body, cache: "no-store", credentials: "omit" });
      } catch (error) {
        lastError = error;
        continue; // no answer: the request may or may not have arrived; its key makes a retry safe
      }
      if (response.status === 503 && attempt < 2 && method !== "GET") continue;
      const answer = bytes && response.ok ? await bytesAnswer(response) : await answerOf(response);
      this.onAnswer(answer);
      if (!answer.ok) throw new ApiError(answer);
      return answer;
    }
    const message =
      lastError instanceof TypeError && /header|ISO-8859-1/i.test(String(lastError.message))
        ? `The browser cannot send this value in a header: ${lastError.message}`
        : `Could not reach the API: ${lastError?.message ?? "no answer"}`;
    throw new ApiError({ ok: false, status: 0, text: "", message });
  }

  // What the key is and its account's plan and requests left. Spends no request.
  me() { return this.request("GET", "/v3/me"); }

  // Bins
  readBin(id, headers = {}) { return this.request("GET", `/v3/b/${seg(id)}`, { headers }); }
  readVersion(id, version) { return this.request("GET", `/v3/b/${seg(id)}/${seg(version)}`); }
  queryBin(id, jsonPath) { return this.request("GET", `/v3/b/${seg(id)}/latest`, { headers: { "X-JSON-Path": jsonPath } }); }
  versionCount(id) { return this.request("GET", `/v3/b/${seg(id)}/versions/count`); }
  createBin(text, { name, isPrivate, collectionId }) {
    const headers = { "X-Bin-Private": String(isPrivate) };
    if (name) headers["X-Bin-Name"] = name;
    if (collectionId) headers["X-Collection-Id"] = collectionId;
    return this.request("POST", "/v3/b", { headers, body: text });
  }
  updateBin(id, text, { versioning, ifMatch }) {
    const headers = { "X-Bin-Versioning": String(versioning) };
    if (ifMatch) headers["If-Match"] = ifMatch;
    return this.request("PUT", `/v3/b/${seg(id)}`, { headers, body: text });
  }
  deleteBin(id) { return this.request("DELETE", `/v3/b/${seg(id)}`); }
  setPrivacy(id, isPrivate) {
    return this.request("PUT", `/v3/b/${seg(id)}/meta/privacy`, { headers: { "X-Bin-Private": String(isPrivate) } });
  }
  setName(id, name) { return this.request("PUT", `/v3/b/${seg(id)}/meta/name`, { headers: { "X-Bin-Name": name } }); }

  // Collections and listings
  collections() { return this.request("GET", "/v3/c"); }
  createCollection(name) { return this.request("POST", "/v3/c", { headers: { "X-Collection-Name": name } }); }
  renameCollection(id, name) {
    return this.request("PUT", `/v3/c/${seg(id)}/meta/name`, { headers: { "X-Collection-Name": name } });
  }
  listBins(collectionId, { after, order }) {
    const path = `/v3/c/${seg(collectionId)}/bins` + (after ? `/${seg(after)}` : "");
    return this.request("GET", path, { headers: { "X-Sort-Order": order } });
  }
  attachSchemaDoc(collectionId, schemaDocId) {
    return this.request("PUT", `/v3/c/${seg(collectionId)}/schemadoc/add`, { headers: { "X-Schema-Doc-Id": schemaDocId } });
  }
  detachSchemaDoc(collectionId) { return this.request("PUT", `/v3/c/${seg(collectionId)}/schemadoc/remove`); }

  // Schema docs
  createSchemaDoc(name, text) {
    return this.request("POST", "/v3/s", { headers: { "X-Schema-Doc-Name": name }, body: text });
  }
  readSchemaDoc(id) { return this.request("GET", `/v3/s/${seg(id)}`); }
  updateSchemaDoc(id, text) { return this.request("PUT", `/v3/s/${seg(id)}`, { body: text }); }

  // Access keys
  accessKeys() { return this.request("GET", "/v3/a"); }
  createAccessKey(name, bins) {
    return this.request("POST", "/v3/a", { headers: { "X-Key-Name": name }, body: JSON.stringify({ bins }) });
  }
  deleteAccessKey(id) { return this.request("DELETE", `/v3/a/${seg(id)}`); }

  // Usage logs
  usageDays() { return this.request("GET", "/v3/l"); }
  usageLog(day) { return this.request("GET", `/v3/l/${seg(day)}`, { bytes: true }); }
}

async function bytesAnswer(response) {
  return { ok: true, status: response.status, bytes: new Uint8Array(await response.arrayBuffer()), message: "" };
}

// Which key header a key works with: asks /v3/me (which spends nothing) as a master key, then as an
// access key. Answers [kind, what /v3/me said], or throws both of the API's refusals in one.
export async function signIn(key) {
  latin1Only({ Key: key });
  const refusals = [];
  for (const kind of ["master", "access"]) {
    const api = new Api(key, kind);
    try {
      const answer = await api.me();
      return [api, answer.json];
    } catch (error) {
      if (!(error instanceof ApiError) || error.answer.status !== 401) throw error;
      refusals.push(error.message);
    }
  }
  throw new ApiError({ ok: false, status: 401, text: "", message: `Neither a master key nor an access key. The API answered: ${refusals.join(" / ")}` });
}
