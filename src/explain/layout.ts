// explain/layout.ts: how a stage's tensor is drawn (tiles of channels of
// h×w values) and how the formulas name one of its values: aⱼ, a(row, col)
// of an image, a(map, row, col).

import { size } from '../nn/layers/index.js';
import type { Shape } from '../nn/layer-spec.js';
import { sub } from './formula.js';

/** How a stage's values are drawn: `tiles` tiles (a neuron's weights, a filter), each `c` channels of h×w; value i is ((tile·c + channel)·h + row)·w + column. */
export interface Layout {
  tiles: number;
  c: number;
  h: number;
  w: number;
}

export const vec = (n: number): Layout => ({ tiles: 1, c: 1, h: 1, w: n });

/** A tensor of one sample: 784 inputs as the 28×28 image they are, maps as maps, a vector as a row. */
export function shapeLayout(s: Shape): Layout {
  const n = size(s);
  if (s.h === 1 && s.w === 1) return n === 784 ? { tiles: 1, c: 1, h: 28, w: 28 } : vec(n);
  return { tiles: 1, c: s.c, h: s.h, w: s.w };
}

/** A weight matrix, units × inputs: one tile per unit shaped as its input (a 28×28 image, maps), or one matrix for a vector input. */
export function weightLayout(units: number, input: Shape): Layout {
  const one = shapeLayout(input);
  return one.h === 1 ? { tiles: 1, c: 1, h: units, w: one.w } : { ...one, tiles: units };
}

/** (map, row, column) of value i of a C×H×W tensor. */
export function at(i: number, s: Shape): [number, number, number] {
  const hw = s.h * s.w;
  return [Math.floor(i / hw), Math.floor((i % hw) / s.w), i % s.w];
}

/** Value i of a tensor of shape s, as the formulas name it: aⱼ, a(row, col) of an image, a(map, row, col). */
export const where = (s: Shape, i: number): string => {
  if (s.h === 1 && s.w === 1) return s.c === 784 ? where({ c: 1, h: 28, w: 28 }, i) : sub(i);
  const [c, r, col] = at(i, s);
  return s.c === 1 ? `(row ${r}, col ${col})` : `(map ${c}, row ${r}, col ${col})`;
};
