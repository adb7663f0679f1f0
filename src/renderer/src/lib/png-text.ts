/**
 * Text in a PNG: chart exports carry their title, asset, range and the data's attribution as
 * international text chunks (iTXt, UTF-8) that image viewers and tools read, besides drawing them.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 the PNG format puts after each chunk (over its type and data). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An iTXt chunk: keyword (Latin-1, 1-79 characters), no compression, no language, UTF-8 text. */
function itxt(keyword: string, text: string): Uint8Array {
  const key = Uint8Array.from(keyword.slice(0, 79), (c) => c.charCodeAt(0) & 0xff);
  const body = new TextEncoder().encode(text);
  const data = new Uint8Array(key.length + 5 + body.length);
  data.set(key, 0);
  // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
  data.set(body, key.length + 5);
  return chunk('iTXt', data);
}

/** The PNG with a text chunk per entry, placed right after the header chunk (IHDR). */
export function withPngText(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const extra = Object.entries(entries).map(([k, v]) => itxt(k, v));
  const out = new Uint8Array(png.length + extra.reduce((s, c) => s + c.length, 0));
  out.set(png.subarray(0, ihdrEnd), 0);
  let at = ihdrEnd;
  for (const c of extra) {
    out.set(c, at);
    at += c.length;
  }
  out.set(png.subarray(ihdrEnd), at);
  return out;
}

/** A `data:image/png;base64,...` URL with text chunks added. */
export function pngDataUrlWithText(dataUrl: string, entries: Record<string, string>): string {
  const b64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const out = withPngText(bytes, entries);
  let s = '';
  for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(s)}`;
}
