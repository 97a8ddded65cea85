// nn/update.ts: the gradient-descent update of one array of parameters, the
// same for every kind of network: plain SGD (chapter 1), L2 weight decay
// (network2.py's update) and momentum (chapter 3). Works in place over the
// one parameter buffer, so a step allocates nothing.

import { axpyArrays, momentumArrays, scaleAxpyArrays } from '../tensor/ops.js';

/** How each step updates the parameters, beyond η: L2 regularisation and momentum (chapter 3). */
export interface UpdateRule {
  /** λ, the L2 regularisation parameter (0: none). */
  lambda: number;
  /** n, the training-set size, in the weight decay 1 − ηλ/n. */
  n: number;
  /** μ, the momentum coefficient (0: plain SGD). */
  momentum: number;
}

/**
 * One array of parameters w (weights when `decay`, else biases) from its
 * gradient g summed over a mini-batch of m, and its velocity v with momentum:
 *   w ← (1 − ηλ/n)·w − (η/m)·∇w                     (L2; no decay for biases)
 *   v ← μ·v − (η/m)·∇w − (ηλ/n)·w,  w ← w + v         (with momentum)
 */
export function stepParams(
  rule: UpdateRule, w: Float32Array, g: Float32Array, v: Float32Array | null, eta: number, m: number, decay: boolean,
): void {
  const { lambda, n, momentum } = rule;
  const d = decay ? (eta * lambda) / n : 0;
  if (momentum && v) momentumArrays(w, v, g, momentum, eta / m, d);
  else if (d) scaleAxpyArrays(w, 1 - d, -eta / m, g); // w ← (1 − ηλ/n)·w − (η/m)·∇w
  else axpyArrays(w, -eta / m, g); // w ← w − (η/m)·∇w
}

/** The update's formula for --debug-shapes. */
export function ruleText(rule: UpdateRule): string {
  const { lambda, momentum } = rule;
  return momentum ? 'v ← μv − (η/m)·∇w − (ηλ/n)·w, w ← w + v' : lambda ? 'w ← (1 − ηλ/n)·w − (η/m)·∇w' : 'w ← w − (η/m)·∇w';
}

/** A layer's slice of the one parameter buffer: its weights first, then its biases. */
export interface ParamSegment {
  weights: number;
  params: number;
  /** The dropout its input went through while training, if any (see dropoutGradientScale). */
  dropIn?: { p: number } | null;
}

/**
 * How much a weight's gradient counts in its step when the layer's input went
 * through dropout p: (1 − p)². The book (chapter 3, network3.py) drops units
 * without rescaling and multiplies the weights by 1 − p at evaluation; here
 * dropout is inverted (kept units × 1/(1 − p) while training, nothing at
 * evaluation), so our w is the book's w′ times (1 − p). Its gradient is
 * (1 − p) times larger than the book's, and a step of the same η moves w′ by
 * (1 − p)⁻² times the book's step. Scaling the gradient term by (1 − p)² (not
 * the L2 decay, which is a factor either way) makes every step the book's:
 * the same η, λ and μ train exactly as network3.py does.
 */
export function dropoutGradientScale(dropIn: { p: number } | null | undefined): number {
  return dropIn && dropIn.p > 0 ? (1 - dropIn.p) * (1 - dropIn.p) : 1;
}

/**
 * One step for every parameter, layer by layer (the buffer holds each layer's
 * weights, then its biases): plain SGD in one sweep over the whole buffer, or
 * with L2 / momentum as stepParams says. `velocity` (same layout) is needed
 * with momentum.
 */
export function updateAll(
  rule: UpdateRule, params: Float32Array, grads: Float32Array, velocity: Float32Array | null,
  segments: readonly ParamSegment[], eta: number, m: number,
): void {
  let dropped = false;
  for (const s of segments) if (s.dropIn && s.dropIn.p > 0) dropped = true;
  if (!rule.lambda && !rule.momentum && !dropped) {
    axpyArrays(params, -eta / m, grads); // w ← w − (η/m)·∇w, b ← b − (η/m)·∇b
    return;
  }
  if (rule.momentum && !velocity) throw new Error('updateAll: momentum needs the velocities');
  const v = rule.momentum ? velocity : null;
  let offset = 0;
  for (const s of segments) {
    const cut = offset + s.weights;
    const end = offset + s.params;
    // after dropout, the gradient term counts (1 − p)², as if m were m/(1 − p)² (dropoutGradientScale)
    const mw = m / dropoutGradientScale(s.dropIn);
    stepParams(rule, params.subarray(offset, cut), grads.subarray(offset, cut), v ? v.subarray(offset, cut) : null, eta, mw, true);
    stepParams(rule, params.subarray(cut, end), grads.subarray(cut, end), v ? v.subarray(cut, end) : null, eta, m, false);
    offset = end;
  }
}
