// draw/handwriting.ts: synthetic handwriting: strokes for the ten digits, for
// the preprocessing tests, the page's end-to-end test and the latency bench.
// One template per digit (control points in a unit box, y down, smoothed
// into curves), varied by a seeded generator in size, position, slant, width
// and wobble. Not a model of real handwriting: a repeatable stand-in for it.

import type { Point, Stroke } from './preprocess.js';
import { Rng } from '../rng.js';

type P = [number, number];

const TEMPLATES: P[][][] = [
  /* 0 */ [[[0.5, 0], [0.2, 0.15], [0.12, 0.5], [0.25, 0.9], [0.5, 1], [0.78, 0.88], [0.88, 0.5], [0.78, 0.12], [0.5, 0], [0.42, 0.05]]],
  /* 1 */ [[[0.55, 0], [0.52, 0.35], [0.48, 0.7], [0.45, 1]]],
  /* 2 */ [[[0.12, 0.25], [0.3, 0.03], [0.6, 0], [0.85, 0.2], [0.75, 0.45], [0.4, 0.75], [0.1, 1], [0.5, 0.98], [0.92, 0.98]]],
  /* 3 */ [[[0.15, 0.1], [0.5, 0], [0.82, 0.15], [0.75, 0.38], [0.45, 0.48], [0.8, 0.6], [0.88, 0.82], [0.6, 1], [0.15, 0.92]]],
  /* 4 */ [[[0.55, 0], [0.3, 0.35], [0.08, 0.66], [0.5, 0.66], [0.95, 0.64]], [[0.72, 0.3], [0.71, 0.65], [0.7, 1]]],
  /* 5 */ [[[0.85, 0.02], [0.5, 0.02], [0.25, 0.02], [0.2, 0.45], [0.55, 0.38], [0.85, 0.58], [0.82, 0.88], [0.5, 1], [0.15, 0.9]]],
  /* 6 */ [[[0.72, 0], [0.4, 0.25], [0.18, 0.62], [0.28, 0.95], [0.6, 0.98], [0.8, 0.75], [0.6, 0.52], [0.3, 0.58], [0.2, 0.7]]],
  /* 7 */ [[[0.08, 0.02], [0.5, 0.02], [0.92, 0], [0.7, 0.4], [0.5, 0.7], [0.38, 1]]],
  /* 8 */ [[[0.55, 0.48], [0.22, 0.3], [0.3, 0.05], [0.55, 0], [0.78, 0.12], [0.7, 0.35], [0.45, 0.52], [0.18, 0.75], [0.35, 0.98], [0.65, 0.98], [0.82, 0.75], [0.55, 0.48]]],
  /* 9 */ [[[0.8, 0.22], [0.55, 0], [0.22, 0.12], [0.2, 0.4], [0.5, 0.5], [0.78, 0.35], [0.8, 0.15], [0.78, 0.6], [0.74, 1]]],
];

/** A Catmull–Rom curve through the points, 8 samples per span. */
function smooth(points: P[]): P[] {
  if (points.length < 3) return points;
  const out: P[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const p0 = points[Math.max(0, i - 1)];
    const p1 = points[i];
    const p2 = points[i + 1];
    const p3 = points[Math.min(points.length - 1, i + 2)];
    for (let k = 0; k < 8; k++) {
      const t = k / 8;
      const t2 = t * t;
      const t3 = t2 * t;
      const f = (a: number, b: number, c: number, d: number) =>
        0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      out.push([f(p0[0], p1[0], p2[0], p3[0]), f(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  out.push(points[points.length - 1]);
  return out;
}

export interface Variant {
  /** Height of the digit on the pad, in pad pixels. */
  size: number;
  /** Top-left corner of the digit's box on the pad. */
  x: number;
  y: number;
  /** Horizontal shear: positive leans right. */
  slant: number;
  /** Width as a share of height. */
  width: number;
  /** Wobble, in pad pixels. */
  wobble: number;
}

/** Variant k of 5 for a pad of `pad` pixels: small and large, in corners and the middle, upright and slanted. */
export function variant(k: number, pad: number, seed: number): Variant {
  const rng = new Rng(seed);
  const size = pad * [0.35, 0.75, 0.5, 0.6, 0.4][k % 5] * (0.9 + 0.2 * rng.uniform());
  const width = 0.55 + 0.25 * rng.uniform();
  const room = pad - size * (1 + width) * 0.8;
  const spots = [[0.05, 0.05], [0.5, 0.5], [0.9, 0.1], [0.1, 0.9], [0.6, 0.7]];
  const [sx, sy] = spots[k % 5];
  return {
    size,
    width,
    x: Math.max(4, room * sx),
    y: Math.max(4, (pad - size - 8) * sy),
    slant: [-0.05, 0.15, 0.3, 0, 0.2][k % 5] + 0.1 * (rng.uniform() - 0.5),
    wobble: 1.5 * rng.uniform(),
  };
}

/** The strokes of `digit` drawn as `v`, in pad pixels (y down). */
export function digitStrokes(digit: number, v: Variant, seed = digit): Stroke[] {
  const rng = new Rng(seed + 1000);
  return TEMPLATES[digit].map((controls) =>
    smooth(controls).map(([u, w]): Point => ({
      x: v.x + (u * v.width + (1 - w) * v.slant) * v.size + (rng.uniform() - 0.5) * v.wobble,
      y: v.y + w * v.size + (rng.uniform() - 0.5) * v.wobble,
    })),
  );
}
