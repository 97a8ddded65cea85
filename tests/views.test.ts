// Test-time augmentation: the views of an image (data/views.ts) and how one
// network's outputs for them are combined (nn/ensemble.ts's combineViews).

import { describe, expect, it } from 'vitest';
import { TTA_VIEWS, viewImage, viewSet } from '../src/data/views.js';
import { combineViews } from '../src/nn/ensemble.js';
import { Rng } from '../src/rng.js';

const SIDE = 28;

function randomImage(seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: SIDE * SIDE }, () => Math.floor(rng.uniform() * 256));
}

describe('views of an image', () => {
  it('the first view is the image itself, bytes and floats alike', () => {
    expect(TTA_VIEWS[0]).toEqual({ dx: 0, dy: 0, turn: 0 });
    const src = randomImage(1);
    const bytes = new Uint8Array(SIDE * SIDE);
    viewImage(bytes, src, SIDE, SIDE, TTA_VIEWS[0]);
    expect(bytes).toEqual(src);
    const floats = Float32Array.from(src, (v) => v / 255);
    const seen = new Float32Array(SIDE * SIDE);
    viewImage(seen, floats, SIDE, SIDE, TTA_VIEWS[0]);
    expect(seen).toEqual(floats);
  });

  it('a shift moves every pixel by whole pixels, ink moved out of the image lost and none coming in', () => {
    const src = randomImage(2);
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1], [2, -3]]) {
      const out = new Uint8Array(SIDE * SIDE);
      viewImage(out, src, SIDE, SIDE, { dx, dy, turn: 0 });
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const [u, v] = [x - dx, y - dy];
          const want = u < 0 || v < 0 || u >= SIDE || v >= SIDE ? 0 : src[v * SIDE + u];
          expect(out[y * SIDE + x], `shift (${dx}, ${dy}) at (${x}, ${y})`).toBe(want);
        }
      }
    }
  });

  it('a turn goes clockwise on screen about the centre: a quarter turn takes a dot right of the centre to below it', () => {
    const src = new Uint8Array(SIDE * SIDE);
    src[13 * SIDE + 20] = 200; // (20, 13): 6.5 px right of the centre (13.5, 13.5), 0.5 px above it
    const out = new Uint8Array(SIDE * SIDE);
    viewImage(out, src, SIDE, SIDE, { dx: 0, dy: 0, turn: 90 });
    // clockwise, y down: (x, y) → (cx − (y − cy), cy + (x − cx)) = (14, 20)
    expect(out[20 * SIDE + 14]).toBe(200);
    expect(out.reduce((s, v) => s + v, 0)).toBe(200);
  });

  it("the turned views keep a digit's ink about where it was and about as much of it, and lean it by their angle", () => {
    const src = new Uint8Array(SIDE * SIDE);
    for (let y = 6; y < 22; y++) for (let x = 11; x < 17; x++) src[y * SIDE + x] = 255; // an upright bar, a 1
    const ink = (img: Uint8Array) => img.reduce((s, v) => s + v, 0);
    for (const view of TTA_VIEWS.filter((v) => v.turn !== 0)) {
      const out = new Uint8Array(SIDE * SIDE);
      viewImage(out, src, SIDE, SIDE, view);
      expect(Math.abs(ink(out) - ink(src)) / ink(src)).toBeLessThan(0.02);
      // turned clockwise, the bar's top goes right and its bottom left: rows 7 and 20, 13 px apart, by 13·tan(turn)
      const column = (y: number) => { let m = 0, mx = 0; for (let x = 0; x < SIDE; x++) { m += out[y * SIDE + x]; mx += out[y * SIDE + x] * x; } return mx / m; };
      const lean = column(7) - column(20);
      const want = 13 * Math.tan((view.turn * Math.PI) / 180);
      expect(Math.abs(lean - want)).toBeLessThan(0.25 * Math.abs(want));
    }
  });

  it('viewSet sees every image of a set in the view and keeps its labels', () => {
    const images = new Uint8Array(3 * SIDE * SIDE);
    for (let i = 0; i < 3; i++) images.set(randomImage(10 + i), i * SIDE * SIDE);
    const set = { images, labels: Uint8Array.of(4, 1, 7), count: 3, rows: SIDE, cols: SIDE };
    const view = TTA_VIEWS[1];
    const seen = viewSet(set, view);
    expect(seen.labels).toEqual(set.labels);
    expect([seen.count, seen.rows, seen.cols]).toEqual([3, SIDE, SIDE]);
    for (let i = 0; i < 3; i++) {
      const one = new Uint8Array(SIDE * SIDE);
      viewImage(one, images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), SIDE, SIDE, view);
      expect(seen.images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE)).toEqual(one);
    }
    expect(seen.images).not.toEqual(images);
  });
});

describe('combineViews', () => {
  it('adds up the logarithms of each class\'s outputs over the views, a zero counting as 1e-30', () => {
    const a = Float32Array.of(0.7, 0.2, 0.1, 0.5, 0.5, 0);
    const b = Float32Array.of(0.4, 0.5, 0.1, 0.1, 0.8, 0.1);
    const s = combineViews([a, b], 2, 3);
    const want = [0.7 * 0.4, 0.2 * 0.5, 0.1 * 0.1, 0.5 * 0.1, 0.5 * 0.8, 1e-30 * 0.1].map(Math.log);
    s.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    // the class most likely over both views: sample 0's first (0.28 against 0.10), sample 1's second
    expect(s[0]).toBeGreaterThan(s[1]);
    expect(s[4]).toBeGreaterThan(s[3]);
  });

  it('can overrule the view that is surest: each view counts', () => {
    // view 1 is sure of class 0, the other two lean to class 1
    const views = [Float32Array.of(0.9, 0.1), Float32Array.of(0.2, 0.8), Float32Array.of(0.25, 0.75)];
    const s = combineViews(views, 1, 2);
    expect(s[1]).toBeGreaterThan(s[0]); // 0.1·0.8·0.75 = 0.06 against 0.9·0.2·0.25 = 0.045
  });

  it('refuses no views and outputs of the wrong size', () => {
    expect(() => combineViews([], 1, 10)).toThrow('combineViews: no views');
    expect(() => combineViews([new Float32Array(10), new Float32Array(9)], 1, 10)).toThrow('combineViews: each view needs 1×10 outputs; got 9');
  });
});
