#!/usr/bin/env node
// Draws the DEFIMON icon (a rising chart line on a dark rounded square) and writes it in every
// format electron-builder needs: icon.png (1024 px, Linux and the source of the others),
// icons/<n>x<n>.png (Linux hicolor sizes), icon.icns (macOS), icon.ico (Windows, PNG entries).
// Pure Node (zlib); deterministic, so re-running it changes nothing. Usage: node build/generate-icons.cjs
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const OUT = __dirname;
const SIZE = 1024;
const SS = 3; // supersampling per axis for smooth edges

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** RGBA pixels (Uint8Array, size*size*4) to a PNG file. */
function encodePng(rgba, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function distToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The icon at 1024 px, in unit coordinates (0..1). */
function draw() {
  const line = [
    [0.2, 0.7],
    [0.38, 0.52],
    [0.52, 0.6],
    [0.78, 0.3],
  ];
  const bgTop = [0x1b, 0x24, 0x33];
  const bgBottom = [0x0f, 0x12, 0x17];
  const accent = [0x2d, 0xd4, 0xbf];
  const px = new Uint8Array(SIZE * SIZE * 4);
  const inset = 0.06;
  const radius = 0.2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const u = (x + (sx + 0.5) / SS) / SIZE;
          const v = (y + (sy + 0.5) / SS) / SIZE;
          // Rounded square
          const qx = Math.max(Math.abs(u - 0.5) - (0.5 - inset - radius), 0);
          const qy = Math.max(Math.abs(v - 0.5) - (0.5 - inset - radius), 0);
          if (Math.hypot(qx, qy) > radius) continue;
          const t = (v - inset) / (1 - 2 * inset);
          let c = bgTop.map((top, i) => top + (bgBottom[i] - top) * t);
          // Faint grid lines
          if (Math.abs(((v - 0.25) * 8) % 1) < 0.02 && v > 0.2 && v < 0.85) c = c.map((ch) => ch + 10);
          // The chart line and its end point
          let d = Infinity;
          for (let i = 0; i < line.length - 1; i++) d = Math.min(d, distToSegment(u, v, line[i][0], line[i][1], line[i + 1][0], line[i + 1][1]));
          const end = line[line.length - 1];
          if (d < 0.035 || Math.hypot(u - end[0], v - end[1]) < 0.065) c = accent;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 255;
        }
      }
      const n = SS * SS;
      const o = (y * SIZE + x) * 4;
      if (a === 0) continue;
      // Colours are averaged over the covered samples only (premultiplied edge), alpha over all.
      const covered = a / 255;
      px[o] = Math.round(r / covered);
      px[o + 1] = Math.round(g / covered);
      px[o + 2] = Math.round(b / covered);
      px[o + 3] = Math.round(a / n);
    }
  }
  return px;
}

/** Box-filter downscale by an integer factor, alpha-weighted. */
function downscale(src, size, factor) {
  const out = size / factor;
  const dst = new Uint8Array(out * out * 4);
  for (let y = 0; y < out; y++) {
    for (let x = 0; x < out; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) {
          const o = ((y * factor + dy) * size + (x * factor + dx)) * 4;
          const al = src[o + 3];
          r += src[o] * al;
          g += src[o + 1] * al;
          b += src[o + 2] * al;
          a += al;
        }
      }
      const o = (y * out + x) * 4;
      if (a > 0) {
        dst[o] = Math.round(r / a);
        dst[o + 1] = Math.round(g / a);
        dst[o + 2] = Math.round(b / a);
      }
      dst[o + 3] = Math.round(a / (factor * factor));
    }
  }
  return dst;
}

function icns(pngBySize) {
  // PNG-bearing ICNS types: icp4 16, icp5 32, icp6 64, ic07 128, ic08 256, ic09 512, ic10 1024.
  const types = [['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024]];
  const entries = types.map(([type, size]) => {
    const data = pngBySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

function ico(pngBySize) {
  const sizes = [16, 32, 48, 64, 128, 256];
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(sizes.length, 4);
  const dir = Buffer.alloc(16 * sizes.length);
  let offset = 6 + dir.length;
  const images = [];
  sizes.forEach((size, i) => {
    const data = pngBySize.get(size);
    const o = i * 16;
    dir[o] = size === 256 ? 0 : size; // 0 means 256
    dir[o + 1] = size === 256 ? 0 : size;
    dir[o + 2] = 0;
    dir[o + 3] = 0;
    dir.writeUInt16LE(1, o + 4); // planes
    dir.writeUInt16LE(32, o + 6); // bits per pixel
    dir.writeUInt32LE(data.length, o + 8);
    dir.writeUInt32LE(offset, o + 12);
    offset += data.length;
    images.push(data);
  });
  return Buffer.concat([header, dir, ...images]);
}

function main() {
  const full = draw();
  const pngBySize = new Map([[1024, encodePng(full, 1024)]]);
  for (const size of [512, 256, 128, 64, 32, 16]) pngBySize.set(size, encodePng(downscale(full, 1024, 1024 / size), size));
  pngBySize.set(48, resample48(full));
  fs.mkdirSync(path.join(OUT, 'icons'), { recursive: true });
  fs.writeFileSync(path.join(OUT, 'icon.png'), pngBySize.get(1024));
  for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) fs.writeFileSync(path.join(OUT, 'icons', `${size}x${size}.png`), pngBySize.get(size));
  fs.writeFileSync(path.join(OUT, 'icon.icns'), icns(pngBySize));
  fs.writeFileSync(path.join(OUT, 'icon.ico'), ico(pngBySize));
  process.stdout.write(`icons written to ${OUT}\n`);
}

/** 48 px (1024/48 is not an integer): each pixel averages the source pixels its box covers. */
function resample48(full) {
  const size = 48;
  const dst = new Uint8Array(size * size * 4);
  const scale = 1024 / size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const x0 = Math.floor(x * scale);
      const x1 = Math.floor((x + 1) * scale);
      const y0 = Math.floor(y * scale);
      const y1 = Math.floor((y + 1) * scale);
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const o = (yy * 1024 + xx) * 4;
          const al = full[o + 3];
          r += full[o] * al;
          g += full[o + 1] * al;
          b += full[o + 2] * al;
          a += al;
        }
      }
      const n = (x1 - x0) * (y1 - y0);
      const o = (y * size + x) * 4;
      if (a > 0) {
        dst[o] = Math.round(r / a);
        dst[o + 1] = Math.round(g / a);
        dst[o + 2] = Math.round(b / a);
      }
      dst[o + 3] = Math.round(a / n);
    }
  }
  return encodePng(dst, size);
}

main();
