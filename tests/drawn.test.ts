// Drawn digits no model trains on: MNIST test images thinned to skeletons,
// traced into strokes and redrawn as a hand on the page would (skeleton.ts,
// redraw.ts), and the stroke-set files that carry them (stroke-set.ts).

import { describe, expect, it } from 'vitest';
import { enlarge, inkDistance, outlineBlobs, thin, traceImage, traceStrokes } from '../src/draw/skeleton.js';
import { randomPose, redraw, type Pose } from '../src/draw/redraw.js';
import { parseStrokeSet, strokeSetText, StrokeSetError } from '../src/draw/stroke-set.js';
import { strokeBounds, strokesToInput, type Stroke } from '../src/draw/preprocess.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { loadModelFile } from '../src/node/model-io.js';
import { Rng } from '../src/rng.js';

/** A w×h byte image with `on` pixels at 255. */
function image(w: number, h: number, on: (x: number, y: number) => boolean): Uint8Array {
  const img = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (on(x, y)) img[y * w + x] = 255;
  return img;
}

/** How many skeleton pixels. */
function pixels(s: Uint8Array): number {
  return s.reduce((a, v) => a + v, 0);
}

describe('thinning (Zhang–Suen)', () => {
  it('thins a bar 5 pixels thick to a line one pixel thick along its middle', () => {
    const bar = image(28, 28, (x, y) => x >= 4 && x < 24 && y >= 12 && y < 17);
    const s = thin(bar, 28, 28);
    for (let x = 0; x < 28; x++) {
      const column = [...Array(28).keys()].filter((y) => s[y * 28 + x]);
      expect(column.length).toBeLessThanOrEqual(1); // one pixel thick
      for (const y of column) expect(Math.abs(y - 14)).toBeLessThanOrEqual(1); // in the middle
    }
    expect(pixels(s)).toBeGreaterThanOrEqual(14); // most of its length kept
    expect(pixels(s)).toBeLessThanOrEqual(20);
  });

  it('thins a thick ring to a closed loop, and keeps nothing of a blank image', () => {
    const ring = image(28, 28, (x, y) => {
      const r = Math.hypot(x - 13.5, y - 13.5);
      return r >= 6 && r <= 9;
    });
    const s = thin(ring, 28, 28);
    const strokes = traceStrokes(s, 28, 28);
    expect(strokes.length).toBe(1);
    const loop = strokes[0];
    expect(loop[0]).toEqual(loop[loop.length - 1]); // back where it began
    expect(loop.length - 1).toBe(pixels(s)); // every skeleton pixel once
    for (const p of loop) expect(Math.abs(Math.hypot(p.x - 14, p.y - 14) - 7.5)).toBeLessThan(1.5);
    expect(pixels(thin(new Uint8Array(784), 28, 28))).toBe(0);
    expect(traceStrokes(new Uint8Array(784), 28, 28)).toEqual([]);
  });
});

describe('tracing a skeleton into strokes', () => {
  it('splits a T at its fork into three strokes that cover every pixel, and drops a whisker', () => {
    const t = new Uint8Array(21 * 21);
    for (let x = 2; x <= 18; x++) t[3 * 21 + x] = 1; // the bar
    for (let y = 4; y <= 18; y++) t[y * 21 + 10] = 1; // the stem, from the bar's middle
    const strokes = traceStrokes(t, 21, 21);
    expect(strokes.length).toBe(3);
    const seen = new Set(strokes.flat().map((p) => `${p.x},${p.y}`));
    expect(seen.size).toBe(pixels(t));
    // a whisker of 1 pixel off the stem is thinning's noise: dropped, the stem stays whole
    t[12 * 21 + 11] = 1;
    const whiskered = traceStrokes(t, 21, 21);
    expect(whiskered.flat().some((p) => p.x === 11.5 && p.y === 12.5)).toBe(false);
    expect(whiskered.flat().filter((p) => p.x === 10.5).length).toBeGreaterThanOrEqual(15);
  });

  it('walks a diagonal staircase as one stroke, not a chain of triangles', () => {
    const s = new Uint8Array(10 * 10);
    for (let i = 1; i < 9; i++) {
      s[i * 10 + i] = 1;
      s[i * 10 + i + 1] = 1; // a step to the right, then down
    }
    const strokes = traceStrokes(s, 10, 10);
    expect(strokes.length).toBe(1);
    expect(strokes[0].length).toBe(pixels(s));
  });
});

describe('tracing on an enlarged image', () => {
  it('enlarges by bilinear interpolation: the same image at 1×, pixel centres kept, ink fading to the edge', () => {
    const img = image(6, 5, (x, y) => x >= 2 && x <= 3 && y >= 1 && y <= 3);
    expect(Array.from(enlarge(img, 6, 5, 1))).toEqual(Array.from(img));
    const big = enlarge(img, 6, 5, 4);
    expect(big.length).toBe(24 * 20);
    expect(big[10 * 24 + 11]).toBe(255); // inside the block, between two inked pixels' centres
    expect(big[10 * 24 + 0]).toBe(0); // far from any ink
    expect(big[10 * 24 + 7]).toBe(96); // between pixel 1 (none) and pixel 2 (ink): at 7.5/4 − 0.5 = 1.375, 0.375·255 = 95.6
  });

  it('at scale 1 is the plain thinning and tracing; at 4 its strokes lie on the ink, in the image\'s own pixels', () => {
    const ring = image(20, 20, (x, y) => Math.hypot(x - 9.5, y - 9.5) >= 4 && Math.hypot(x - 9.5, y - 9.5) <= 7);
    expect(traceImage(ring, 20, 20)).toEqual(traceStrokes(thin(ring, 20, 20), 20, 20));
    const strokes = traceImage(ring, 20, 20, { scale: 4 });
    expect(strokes.length).toBe(1); // one closed loop
    for (const p of strokes[0]) expect(Math.hypot(p.x - 10, p.y - 10)).toBeGreaterThan(4);
    for (const p of strokes[0]) expect(Math.hypot(p.x - 10, p.y - 10)).toBeLessThan(7.5);
    expect(() => traceImage(ring, 20, 20, { scale: 0 })).toThrow('traceImage: scale must be an integer from 1 to 8; got 0');
  });

  it('loses less of MNIST\'s ink at 4× than at 1× (stubs and ends the thinning took off)', async () => {
    const test = (await loadMnist()).sets.test;
    /** The share of ink pixels (≥ 128) more than 2.5 px from every segment of the strokes: parts of the digit no stroke draws. */
    const untraced = (img: Uint8Array, strokes: Stroke[]) => {
      let ink = 0;
      let far = 0;
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
        if (img[y * 28 + x] < 128) continue;
        ink++;
        const [px, py] = [x + 0.5, y + 0.5];
        let best = Infinity;
        for (const s of strokes) for (let i = 0; i < s.length; i++) {
          const a = s[i];
          const b = s[Math.min(i + 1, s.length - 1)];
          const [dx, dy] = [b.x - a.x, b.y - a.y];
          const t = dx || dy ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / (dx * dx + dy * dy))) : 0;
          best = Math.min(best, Math.hypot(px - a.x - t * dx, py - a.y - t * dy));
        }
        if (best > 2.5) far++;
      }
      return far / ink;
    };
    let one = 0;
    let four = 0;
    const n = 200;
    for (let i = 0; i < n; i++) {
      const img = test.images.subarray(i * 784, (i + 1) * 784);
      one += untraced(img, traceImage(img, 28, 28, { scale: 1 })) / n;
      four += untraced(img, traceImage(img, 28, 28, { scale: 4 })) / n;
    }
    expect(four).toBeLessThan(0.75 * one); // over MNIST's first 1,000 test images: 1.42% of the ink at 1×, 0.85% at 4×
  });
});

describe('loops filled in (outline)', () => {
  // a heavy 6: a filled disk of radius 6 and a stroke 3 pixels wide rising from it
  const six = image(40, 40, (x, y) => Math.hypot(x - 19.5, y - 26.5) <= 6 || (x >= 12 && x <= 14 && y >= 4 && y <= 24));
  /** Whether some stroke goes all the way round (cx, cy): its turning angle about the point adds up to a full turn. */
  const circles = (strokes: Stroke[], cx: number, cy: number) => strokes.some((s) => {
    let turn = 0;
    for (let i = 1; i < s.length; i++) {
      let d = Math.atan2(s[i].y - cy, s[i].x - cx) - Math.atan2(s[i - 1].y - cy, s[i - 1].x - cx);
      if (d > Math.PI) d -= 2 * Math.PI;
      if (d < -Math.PI) d += 2 * Math.PI;
      turn += d;
    }
    return Math.abs(turn) > 1.9 * Math.PI;
  });

  it('measures each ink pixel\'s distance to the nearest pixel without ink within 8% of the Euclidean distance', () => {
    const on = Uint8Array.from(six, (v) => (v ? 1 : 0));
    const d = inkDistance(on, 40, 40);
    for (let i = 0; i < 1600; i++) {
      if (!on[i]) {
        expect(d[i]).toBe(0);
        continue;
      }
      let best = Infinity;
      for (let j = 0; j < 1600; j++) if (!on[j]) best = Math.min(best, Math.hypot((i % 40) - (j % 40), Math.floor(i / 40) - Math.floor(j / 40)));
      best = Math.min(best, (i % 40) + 1, 40 - (i % 40), Math.floor(i / 40) + 1, 40 - Math.floor(i / 40)); // past the edge is no ink
      expect(Math.abs(d[i] - best)).toBeLessThanOrEqual(0.08 * best + 1e-6);
    }
  });

  it('traces a filled loop round its outline, where thinning alone makes it a line', () => {
    expect(circles(traceImage(six, 40, 40), 19.5, 26.5)).toBe(false);
    const strokes = traceImage(six, 40, 40, { outline: true });
    expect(circles(strokes, 19.5, 26.5)).toBe(true);
    const hollow = outlineBlobs(six, 40, 40);
    expect(hollow[26 * 40 + 19]).toBe(0); // the middle of the disk taken out
    expect(hollow[26 * 40 + 14]).toBe(255); // its rim kept
    expect(hollow[10 * 40 + 13]).toBe(255); // and the stroke
    expect(circles(traceImage(six, 40, 40, { scale: 4, outline: true }), 19.5, 26.5)).toBe(true);
  });

  it('leaves strokes of even width as they are: a ring, a bar and a cross trace the same either way', () => {
    const shapes = [
      image(28, 28, (x, y) => Math.hypot(x - 13.5, y - 13.5) >= 6 && Math.hypot(x - 13.5, y - 13.5) <= 9),
      image(28, 28, (x, y) => x >= 4 && x < 24 && y >= 12 && y < 17),
      image(28, 28, (x, y) => (x >= 12 && x < 16 && y >= 3 && y < 25) || (y >= 12 && y < 16 && x >= 3 && x < 25)),
    ];
    for (const img of shapes) {
      expect(outlineBlobs(img, 28, 28)).toBe(img); // nothing deep enough to take out
      expect(traceImage(img, 28, 28, { outline: true })).toEqual(traceImage(img, 28, 28));
    }
    expect(outlineBlobs(new Uint8Array(100), 10, 10)).toHaveLength(100); // a blank image has no strokes to measure
  });
});

describe('redrawing', () => {
  const square: Stroke[] = [[{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 20 }, { x: 0, y: 20 }]];
  const upright: Pose = { size: 100, cx: 160, cy: 160, angle: 0, slant: 0, aspect: 1, step: 5, tremor: 0 };

  it('places, sizes and samples the strokes as the pose says', () => {
    const [s] = redraw(square, upright, new Rng(1));
    const box = strokeBounds([s])!;
    expect(box.maxY - box.minY).toBeCloseTo(100, 6); // 20 units high → 100 px
    expect(box.maxX - box.minX).toBeCloseTo(50, 6);
    expect((box.minX + box.maxX) / 2).toBeCloseTo(160, 6);
    expect((box.minY + box.maxY) / 2).toBeCloseTo(160, 6);
    // sampled every 5 px along the 200 px path (50 + 100 + 50), both ends included
    expect(s.length).toBe(41);
    const leaning = strokeBounds(redraw(square, { ...upright, slant: 0.3 }, new Rng(1)))!;
    // the top moved right, the bottom left: 30 px wider (less what the [1 2 1] smoothing takes off the corners)
    expect(Math.abs(leaning.maxX - leaning.minX - (50 + 0.3 * 100))).toBeLessThan(2.5);
  });

  it('the same generator gives the same drawing; another gives a different tremor', () => {
    const pose = randomPose(new Rng(3), 320);
    expect(pose.size).toBeGreaterThanOrEqual(0.3 * 320);
    expect(pose.size).toBeLessThanOrEqual(0.85 * 320);
    const a = redraw(square, pose, new Rng(4));
    expect(redraw(square, pose, new Rng(4))).toEqual(a);
    expect(redraw(square, pose, new Rng(5))).not.toEqual(a);
  });
});

describe('stroke-set files', () => {
  it('round-trip through their text, points to 0.01 px', () => {
    const set = { source: 'a test', pad: 320, digits: [{ label: 7, strokes: [[{ x: 1.234, y: 5.678 }, { x: 9, y: 10 }]] }] };
    const back = parseStrokeSet(strokeSetText(set), 'set.json');
    expect(back).toEqual({ source: 'a test', pad: 320, digits: [{ label: 7, strokes: [[{ x: 1.23, y: 5.68 }, { x: 9, y: 10 }]] }] });
  });

  const cases: [string, string][] = [
    ['{', 'set.json: not JSON ('],
    ['{"format": "other"}', 'set.json: not a stroke set: expected "format": "digitnet-strokes 1"'],
    ['{"format": "digitnet-strokes 1", "digits": []}', 'set.json: "digits" must be a list of at least one {"label", "strokes"}'],
    ['{"format": "digitnet-strokes 1", "digits": [{"label": 10, "strokes": [[[1, 2]]]}]}', 'set.json: digit 0: "label" must be a whole number from 0 to 9; got 10'],
    ['{"format": "digitnet-strokes 1", "digits": [{"label": 1, "strokes": [[[1, 2]]]}, {"label": 2, "strokes": []}]}', 'set.json: digit 1: "strokes" must be a list of at least one stroke'],
    ['{"format": "digitnet-strokes 1", "digits": [{"label": 1, "strokes": [[[1, 2], [3]]]}]}', 'set.json: digit 0, stroke 0, point 1: must be [x, y], two finite numbers; got [3]'],
    ['{"format": "digitnet-strokes 1", "pad": -1, "digits": [{"label": 1, "strokes": [[[1, 2]]]}]}', 'set.json: "pad" must be a positive number of pixels; got -1'],
  ];
  for (const [text, message] of cases) {
    it(`refuses ${text.slice(0, 60)}: ${message.slice(10, 60)}`, () => {
      expect(() => parseStrokeSet(text, 'set.json')).toThrow(StrokeSetError);
      expect(() => parseStrokeSet(text, 'set.json')).toThrow(message);
    });
  }
});

describe('MNIST test digits, redrawn', () => {
  it('the page\'s default model reads most of them: the strokes keep the digits\' shapes', async () => {
    const test = (await loadMnist()).sets.test;
    const { network } = loadModelFile('web/models/default.json');
    let right = 0;
    const n = 200;
    for (let i = 0; i < n; i++) {
      const rng = new Rng(i);
      const strokes = redraw(traceStrokes(thin(test.images.subarray(i * 784, (i + 1) * 784), 28, 28), 28, 28), randomPose(rng, 320), rng);
      const input = strokesToInput(strokes);
      if (input && network.predict(input).digit === test.labels[i]) right++;
    }
    // chance is 10%; a broken tracer (strokes out of order, mirrored, lost) reads far below this
    expect(right / n).toBeGreaterThan(0.85);
  });
});
