// nn/parallel/split.ts: how one training step is shared among T threads, seen
// from thread t. Each step has two phases with a barrier between them
// (nn/parallel/threads.ts runs them):
//   columns  thread t's share of the mini-batch's samples, forward and back;
//   rows     once every thread is done: thread t's share of the parameters,
//            gradients completed (or added up) and stepped by the optimizer.
// Two ways to split: RowSplit (rows.ts) for fully-connected stacks, bit-identical
// for any T; ReplicaSplit (replicas.ts) for every other stack, deterministic
// for a given T.

import type { LabelledImages } from '../../data/dataset.js';
import type { Rng } from '../../rng.js';
import type { LayerStack } from '../stack.js';

export interface Split {
  /** This thread's stack (thread 0's, or a worker's view or replica of it). */
  readonly net: LayerStack;
  /** Samples each thread evaluates at a time. */
  readonly evalWidth: number;
  /** Thread 0, before a step of m with dropout: every mask of the step, drawn from rng in one thread's order. */
  drawMasks(m: number, T: number, rng: Rng): void;
  /** Phase 1 for thread t: forward and back its share of the mini-batch order[start .. start + m − 1]. */
  columns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void;
  /** Phase 2 for thread t, after every thread's phase 1: its share of the update, with learning rate η. */
  rows(m: number, t: number, T: number, eta: number): void;
  /** Thread t's part of an evaluation: its right answers among samples part(count, t, T). */
  evaluatePart(data: LabelledImages, t: number, T: number): number;
}

/** Samples each thread evaluates at a time: 500 through dense layers, 20 with convolutions (their patches are large). */
export function evalWidthOf(net: LayerStack): number {
  return net.fullyConnected ? 500 : 20;
}
