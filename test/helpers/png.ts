/** Reads a PNG's chunks: its size from IHDR and its text chunks (tEXt and uncompressed iTXt), checking every CRC. */
import { crc32 } from '../../src/renderer/src/lib/png-text';

export interface PngInfo {
  width: number;
  height: number;
  text: Record<string, string>;
  chunks: string[];
}

export function readPng(bytes: Uint8Array): PngInfo {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info: PngInfo = { width: 0, height: 0, text: {}, chunks: [] };
  let at = 8;
  while (at < bytes.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (view.getUint32(at + 8 + len) !== crc32(bytes.subarray(at + 4, at + 8 + len))) throw new Error(`bad CRC in ${type}`);
    info.chunks.push(type);
    if (type === 'IHDR') {
      info.width = view.getUint32(at + 8);
      info.height = view.getUint32(at + 12);
    } else if (type === 'tEXt' || type === 'iTXt') {
      const nul = data.indexOf(0);
      const key = String.fromCharCode(...data.subarray(0, nul));
      if (type === 'tEXt') info.text[key] = String.fromCharCode(...data.subarray(nul + 1));
      else {
        // compression flag, method, language tag NUL, translated keyword NUL, then UTF-8 text
        let p = nul + 3;
        p = data.indexOf(0, p) + 1;
        p = data.indexOf(0, p) + 1;
        info.text[key] = new TextDecoder().decode(data.subarray(p));
      }
    }
    at += 12 + len;
  }
  return info;
}
