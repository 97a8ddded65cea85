// The picture of the images a network got wrong (evaluate --errors): the grid
// of images with their two digits, and the PNG it is written as, read back
// with node:zlib.

import { inflateSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digitGrid, glyphPixel } from '../src/plot/digit-grid.js';
import { crc32, grayPng } from '../src/node/png.js';

/** The chunks of a PNG file: type and body, each CRC checked. */
function chunks(png: Uint8Array): { type: string; body: Buffer }[] {
  const b = Buffer.from(png);
  expect([...b.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const out = [];
  for (let at = 8; at < b.length; ) {
    const n = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    const body = b.subarray(at + 8, at + 8 + n);
    expect(b.readUInt32BE(at + 8 + n), `${type}'s CRC`).toBe(crc32(b.subarray(at + 4, at + 8 + n)));
    out.push({ type, body });
    at += 12 + n;
  }
  return out;
}

describe('digit grid', () => {
  // a 28×28 image: a vertical bar of ink (1) in columns 10–12, a grey pixel at (20, 5)
  const bar = new Float32Array(784);
  for (let y = 0; y < 28; y++) for (let x = 10; x <= 12; x++) bar[y * 28 + x] = 1;
  bar[5 * 28 + 20] = 0.5;

  it('draws each image enlarged, black on white, with the true digit at its top right and the answer at its bottom right', () => {
    const cells = [{ pixels: bar, truth: 4, answer: 9 }, { pixels: null, truth: 0, answer: 8 }, { pixels: bar, truth: 7, answer: 1 }];
    const g = digitGrid(cells, 28, 2, 2); // two columns: two rows
    const cellW = 56 + 2 + 9;
    expect(g.width).toBe(8 + 2 * (cellW + 8));
    expect(g.height).toBe(8 + 2 * (56 + 8));
    expect(g.data.length).toBe(g.width * g.height);
    const at = (x: number, y: number) => g.data[y * g.width + x];
    // cell 0 at (8, 8): ink → 0, background → 255, the grey pixel → 127 (255 − round(127.5)), each over 2×2 pixels
    for (const [dx, dy] of [[0, 0], [1, 1]]) {
      expect(at(8 + 2 * 11 + dx, 8 + 2 * 3 + dy)).toBe(0);
      expect(at(8 + 2 * 3 + dx, 8 + 2 * 3 + dy)).toBe(255);
      expect(at(8 + 2 * 20 + dx, 8 + 2 * 5 + dy)).toBe(127);
    }
    // its digits: glyph pixel (gx, gy) is 3×3 pixels from x = 8 + 56 + 2; the truth from the top, the answer ending at the bottom
    const glyphAt = (x0: number, y0: number, d: number) => {
      for (let gy = 0; gy < 5; gy++) for (let gx = 0; gx < 3; gx++) {
        expect(at(x0 + 3 * gx + 1, y0 + 3 * gy + 1), `digit ${d} at (${gx}, ${gy})`).toBe(glyphPixel(d, gx, gy) ? 0 : 255);
      }
    };
    glyphAt(8 + 58, 8, 4);
    glyphAt(8 + 58, 8 + 56 - 15, 9);
    // cell 1 (null: no ink) is blank but for its digits; cell 2 starts the second row
    const x1 = 8 + cellW + 8;
    for (let y = 8; y < 8 + 56; y++) for (let x = x1; x < x1 + 56; x++) expect(at(x, y)).toBe(255);
    glyphAt(x1 + 58, 8, 0);
    glyphAt(x1 + 58, 8 + 56 - 15, 8);
    expect(at(8 + 2 * 11, 8 + 64 + 2 * 3)).toBe(0);
    glyphAt(8 + 58, 8 + 64, 7);
  });

  it('has a glyph for every digit, no two alike', () => {
    const bits = Array.from({ length: 10 }, (_, d) => Array.from({ length: 15 }, (_, i) => (glyphPixel(d, i % 3, Math.floor(i / 3)) ? 1 : 0)).join(''));
    expect(new Set(bits).size).toBe(10);
    expect(bits[1]).toBe('010110010010111');
  });

  it('makes a blank strip of no cells (a model that got every image right), which still writes as a PNG', () => {
    const g = digitGrid([]);
    expect(g.height).toBe(8);
    expect(g.data.every((v) => v === 255)).toBe(true);
    expect(chunks(grayPng(g)).map((k) => k.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('refuses what it cannot draw', () => {
    expect(() => digitGrid([{ pixels: new Float32Array(783), truth: 1, answer: 2 }])).toThrow('digitGrid: cell 0 has 783 pixels; a 28×28 image has 784');
    expect(() => digitGrid([{ pixels: null, truth: 10, answer: 2 }])).toThrow('digitGrid: cell 0 has digits 10 and 2; each must be 0 to 9');
    expect(() => digitGrid([], 28, 0)).toThrow(/columns 0/);
  });
});

describe('PNG', () => {
  it('computes CRC-32 as PNG and zlib do', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    if ('crc32' in zlib) expect(crc32(bytes)).toBe((zlib as unknown as { crc32(b: Uint8Array): number }).crc32(bytes));
  });

  it('writes a grey image that reads back pixel for pixel', () => {
    const img = { width: 5, height: 3, data: Uint8Array.from({ length: 15 }, (_, i) => i * 17) };
    const c = chunks(grayPng(img));
    expect(c.map((k) => k.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const h = c[0].body;
    expect([h.readUInt32BE(0), h.readUInt32BE(4), h[8], h[9], h[10], h[11], h[12]]).toEqual([5, 3, 8, 0, 0, 0, 0]);
    const rows = inflateSync(c[1].body);
    expect(rows.length).toBe(3 * 6);
    for (let y = 0; y < 3; y++) {
      expect(rows[y * 6]).toBe(0); // filter: none
      expect([...rows.subarray(y * 6 + 1, y * 6 + 6)]).toEqual([...img.data.subarray(y * 5, y * 5 + 5)]);
    }
    expect(() => grayPng({ width: 5, height: 3, data: new Uint8Array(14) })).toThrow('grayPng: a 5×3 image needs 15 bytes; got 14');
  });
});
