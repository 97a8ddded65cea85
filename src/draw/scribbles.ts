// draw/scribbles.ts: synthetic drawings that are not digits, for measuring
// (and testing) whether the page says so: hourglasses, asterisks, hashes,
// spirals, stars, waves, zigzags with many teeth, cross-hatching and tangled
// random walks, each varied by a seeded generator in size, position, slant
// and wobble. Shapes that are read as digits by people (a circle, a line, an
// S, a Z) are left out on purpose. Strokes are in pad pixels, as the pad's.

import type { Point, Stroke } from './preprocess.js';
import { Rng } from '../rng.js';

type P = [number, number];

export const SCRIBBLE_KINDS = ['hourglass', 'asterisk', 'hash', 'spiral', 'star', 'waves', 'teeth', 'hatch', 'tangle'] as const;
export type ScribbleKind = (typeof SCRIBBLE_KINDS)[number];

/** The shape's strokes in a unit box (y down), before placement. */
function shape(kind: ScribbleKind, r: Rng): P[][] {
  const j = (s: number) => (r.uniform() - 0.5) * s; // jitter
  switch (kind) {
    case 'hourglass':
      return [[[0.1, 0], [0.9, 0], [0.1, 1], [0.9, 1], [0.1, 0]]];
    case 'asterisk': {
      const n = 3 + r.below(3);
      const out: P[][] = [];
      for (let k = 0; k < n; k++) {
        const a = (Math.PI * k) / n + j(0.3);
        out.push([[0.5 + 0.5 * Math.cos(a), 0.5 + 0.5 * Math.sin(a)], [0.5 - 0.5 * Math.cos(a), 0.5 - 0.5 * Math.sin(a)]]);
      }
      return out;
    }
    case 'hash':
      return [
        [[0.35 + j(0.1), 0], [0.3 + j(0.1), 1]], [[0.7 + j(0.1), 0], [0.65 + j(0.1), 1]],
        [[0, 0.35 + j(0.1)], [1, 0.3 + j(0.1)]], [[0, 0.7 + j(0.1)], [1, 0.65 + j(0.1)]],
      ];
    case 'spiral': {
      const turns = 2.5 + r.uniform() * 1.5;
      const pts: P[] = [];
      for (let t = 0; t <= 1; t += 1 / 80) {
        const a = 2 * Math.PI * turns * t;
        pts.push([0.5 + 0.5 * t * Math.cos(a), 0.5 + 0.5 * t * Math.sin(a)]);
      }
      return [pts];
    }
    case 'star': {
      const pts: P[] = [];
      for (let k = 0; k <= 5; k++) {
        const a = -Math.PI / 2 + (4 * Math.PI * k) / 5;
        pts.push([0.5 + 0.5 * Math.cos(a), 0.5 + 0.5 * Math.sin(a)]);
      }
      return [pts];
    }
    case 'waves': {
      const rows = 3 + r.below(2);
      const out: P[][] = [];
      for (let k = 0; k < rows; k++) {
        const y = rows === 1 ? 0.5 : k / (rows - 1);
        const pts: P[] = [];
        for (let t = 0; t <= 1; t += 1 / 40) pts.push([t, y + 0.08 * Math.sin(2 * Math.PI * 3 * t)]);
        out.push(pts);
      }
      return out;
    }
    case 'teeth': {
      const n = 8 + r.below(6);
      const pts: P[] = [];
      for (let k = 0; k <= n; k++) pts.push([k / n, k % 2 === 0 ? 0.35 + j(0.1) : 0.65 + j(0.1)]);
      return [pts];
    }
    case 'hatch': {
      const n = 5 + r.below(3);
      const out: P[][] = [];
      for (let k = 0; k < n; k++) {
        const t = k / (n - 1);
        out.push([[t, 0], [0, t]], [[1 - t, 1], [1, 1 - t]]);
      }
      return out.filter((s) => Math.hypot(s[0][0] - s[1][0], s[0][1] - s[1][1]) > 0.05);
    }
    case 'tangle': {
      const pts: P[] = [[0.5, 0.5]];
      let x = 0.5;
      let y = 0.5;
      for (let k = 0; k < 30; k++) {
        x = Math.min(1, Math.max(0, x + j(0.7)));
        y = Math.min(1, Math.max(0, y + j(0.7)));
        pts.push([x, y]);
      }
      return [pts];
    }
  }
}

/** A scribble of the given kind (or a seeded choice) on a pad of `padSize` pixels; `seed` makes it repeatable. */
export function scribbleStrokes(seed: number, padSize = 320, kind?: ScribbleKind): Stroke[] {
  const r = new Rng(seed);
  const k = kind ?? SCRIBBLE_KINDS[r.below(SCRIBBLE_KINDS.length)];
  const size = padSize * (0.35 + 0.45 * r.uniform());
  const width = size * (0.7 + 0.5 * r.uniform());
  const x0 = (padSize - width) * r.uniform();
  const y0 = (padSize - size) * r.uniform();
  const slant = (r.uniform() - 0.5) * 0.5;
  const wobble = 1.5 * r.uniform();
  return shape(k, r).map((s) =>
    densify(s).map(([u, v]): Point => ({
      x: x0 + (u + slant * (1 - v)) * width * 0.8 + (r.uniform() - 0.5) * wobble,
      y: y0 + v * size + (r.uniform() - 0.5) * wobble,
    })),
  );
}

/** Points every 0.02 of the unit box along each segment, as a pen's samples would come. */
function densify(points: P[]): P[] {
  const out: P[] = [points[0]];
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 0.02));
    for (let k = 1; k <= n; k++) out.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
  }
  return out;
}
