// node/png.ts: a grey image (plot/digit-grid.ts) as a PNG file's bytes:
// the signature, IHDR (8-bit greyscale), one IDAT (each row after a filter
// byte of 0, deflated by node:zlib) and IEND, each chunk with its CRC-32.

import { deflateSync } from 'node:zlib';
import type { GrayImage } from '../plot/digit-grid.js';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** CRC-32 (ISO 3309, as PNG and zlib use it), by the byte-wise table. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length); // over the type and the body
  return out;
}

export function grayPng(img: GrayImage): Uint8Array {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height) {
    throw new RangeError(`grayPng: a ${width}×${height} image needs ${width * height} bytes; got ${data.length}`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 0; // greyscale; compression, filter and interlace methods 0
  const rows = Buffer.alloc((width + 1) * height); // each row: filter type 0 (none), then its bytes
  for (let y = 0; y < height; y++) rows.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([Buffer.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array(0))]);
}
