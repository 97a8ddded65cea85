// nn/dropout.ts: inverted dropout (the book's chapter 3), written once for the
// fully-connected Network's hidden layers and the layer stack's dropout layer.
// While training, each value is kept with probability 1 − p and scaled by
// 1/(1 − p), so the expected activation is unchanged and evaluation, which
// drops nothing, needs no rescaling. `keep` remembers each value's factor
// (1/(1 − p) or 0) for the backward pass.

import type { Rng } from '../rng.js';

/** Draws n factors in order from rng: 1/(1 − p) for a kept value, 0 for a dropped one. */
export function drawMask(keep: Float32Array, n: number, p: number, rng: Rng): void {
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) keep[i] = rng.uniform() >= p ? scale : 0;
}

/** out = a ⊙ mask / (1 − p) for n values: the mask drawn from rng in order into keep, or (rng null) the one already there. */
export function dropForward(out: Float32Array, keep: Float32Array, a: Float32Array, n: number, p: number, rng: Rng | null): void {
  if (rng) drawMask(keep, n, p, rng);
  for (let i = 0; i < n; i++) out[i] = a[i] * keep[i];
}

/** The error through the same mask: a dropped value passed nothing on, so it gets no error. */
export function dropBackward(out: Float32Array, keep: Float32Array, d: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = d[i] * keep[i];
}
