// The first file of a zip (the usage log of a day), read in the browser: the central directory
// says where it starts and how it is compressed; DecompressionStream inflates it.

export async function firstFileText(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i -= 1) {
    if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw new Error("The usage log is not a zip");
  const directory = view.getUint32(end + 16, true);
  if (view.getUint32(directory, true) !== 0x02014b50) throw new Error("The usage log's zip has no file");
  const method = view.getUint16(directory + 10, true);
  const size = view.getUint32(directory + 20, true);
  const local = view.getUint32(directory + 42, true);
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const data = bytes.subarray(start, start + size);
  if (method === 0) return new TextDecoder().decode(data);
  if (method !== 8) throw new Error("The usage log's zip uses a compression this page cannot read");
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Response(stream).text();
}
