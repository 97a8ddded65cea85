// Drawn strokes → the 28×28 MNIST-style input: bounding box, 20-px box,
// area-averaged anti-aliasing, centre of mass, size and position invariance;
// and generated handwriting read by the page's default model.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { centreOfMass, SIDE, strokesToInput, type Stroke } from '../src/draw/preprocess.js';
import { parseModel } from '../src/nn/model-file.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';

/** Rows and columns that hold ink (> 0.1). */
function span(img: Float32Array): { w: number; h: number } {
  let minX = SIDE, maxX = -1, minY = SIDE, maxY = -1;
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    if (img[y * SIDE + x] > 0.1) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x);
      minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
  }
  return { w: maxX - minX + 1, h: maxY - minY + 1 };
}

const meanAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe('strokesToInput', () => {
  it('gives nothing for no ink', () => {
    expect(strokesToInput([])).toBeNull();
    expect(strokesToInput([[]])).toBeNull();
  });

  it('makes white-on-black [0, 1] pixels, the longer side 20 px, the centre of mass in the middle', () => {
    const img = strokesToInput(digitStrokes(2, variant(1, 280, 21)))!;
    expect(img).toHaveLength(784);
    expect(Math.min(...img)).toBe(0);
    expect(Math.max(...img)).toBe(1);
    const { w, h } = span(img);
    expect(Math.max(w, h)).toBeGreaterThanOrEqual(19);
    expect(Math.max(w, h)).toBeLessThanOrEqual(21);
    const com = centreOfMass(img)!;
    expect(Math.abs(com.x - 14)).toBeLessThan(0.3);
    expect(Math.abs(com.y - 14)).toBeLessThan(0.3);
    expect(img[0]).toBe(0); // the corners stay black
  });

  it('anti-aliases by area: the stroke edges are grey, not hard', () => {
    const img = strokesToInput(digitStrokes(0, variant(1, 280, 1)))!;
    const grey = img.filter((v) => v > 0.05 && v < 0.95).length;
    const full = img.filter((v) => v >= 0.95).length;
    expect(grey).toBeGreaterThan(20);
    expect(full).toBeGreaterThan(20);
  });

  it('keeps the aspect ratio: a 1 stays thin', () => {
    const one: Stroke[] = [[{ x: 100, y: 20 }, { x: 100, y: 220 }]];
    const { w, h } = span(strokesToInput(one)!);
    expect(h).toBeGreaterThanOrEqual(19);
    expect(w).toBeLessThanOrEqual(4);
  });

  it('gives nearly the same input for a digit drawn small in a corner and large in the middle', () => {
    for (const d of [3, 7]) {
      const small = strokesToInput(digitStrokes(d, { size: 60, width: 0.7, x: 5, y: 5, slant: 0.1, wobble: 0 }))!;
      const large = strokesToInput(digitStrokes(d, { size: 240, width: 0.7, x: 30, y: 20, slant: 0.1, wobble: 0 }))!;
      expect(meanAbsDiff(small, large)).toBeLessThan(0.01);
      // while another digit differs a lot
      const other = strokesToInput(digitStrokes(d === 3 ? 7 : 3, { size: 240, width: 0.7, x: 30, y: 20, slant: 0.1, wobble: 0 }))!;
      expect(meanAbsDiff(other, large)).toBeGreaterThan(0.1);
    }
  });

  it('a single tap is a centred dot', () => {
    const img = strokesToInput([[{ x: 50, y: 60 }]])!;
    const { w, h } = span(img);
    expect(w).toBeLessThanOrEqual(4);
    expect(h).toBeLessThanOrEqual(4);
    const com = centreOfMass(img)!;
    expect(Math.abs(com.x - 14) + Math.abs(com.y - 14)).toBeLessThan(0.5);
  });
});

describe("generated handwriting through the page's default model", () => {
  it('reads at least 48 of 50 digits (5 sizes, places and slants each)', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'web', 'models', 'default.json'), 'utf8');
    const { network } = parseModel(text, 'default.json');
    let right = 0;
    const misread: string[] = [];
    for (let d = 0; d < 10; d++) {
      for (let k = 0; k < 5; k++) {
        const { digit } = network.predict(strokesToInput(digitStrokes(d, variant(k, 280, d * 10 + k)))!);
        if (digit === d) right++;
        else misread.push(`${d} read as ${digit}`);
      }
    }
    expect(right, misread.join(', ')).toBeGreaterThanOrEqual(48);
  });
});
