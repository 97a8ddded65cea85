// nn/parallel/split.ts: how one training step is cut into chunks that any of
// T threads can take (nn/parallel/threads.ts hands them out). Each step has
// two phases, the second starting once every chunk of the first is done:
//   columns  chunk c of the mini-batch's samples, forward and back;
//   rows     chunk c of the parameters, gradients completed (or added up)
//            and stepped by the optimizer.
// A chunk's work depends only on c, never on which thread does it, so a
// thread that is late (descheduled, still waking) changes the speed, not the
// weights. Two ways to split: RowSplit (rows.ts) for fully-connected stacks,
// bit-identical for any thread and chunk count; ReplicaSplit (replicas.ts)
// for every other stack, one chunk per replica, deterministic for a given T.

import type { LabelledImages } from '../../data/dataset.js';
import type { Rng } from '../../rng.js';
import type { LayerStack } from '../stack.js';
import type { Augmenter } from '../../data/augment.js';

export interface Split {
  /** This thread's stack (thread 0's own, or a worker's view of it): its optimizer steps the rows. */
  readonly net: LayerStack;
  /** Samples each evaluation chunk takes at a time. */
  readonly evalWidth: number;
  /** How many chunks each phase of a step has. */
  readonly chunks: { columns: number; rows: number };
  /** How many when thread 0 runs a step alone (pace.ts): fewer where that changes no value. */
  readonly soloChunks: { columns: number; rows: number };
  /** Thread 0, before a step of m with dropout: every mask of the step, drawn from rng in one thread's order. */
  drawMasks(m: number, rng: Rng): void;
  /** Distorts the training images as they are gathered (data/augment.ts), if set. */
  augment: Augmenter | null;
  /** Whether the chunks of a phase may cut it anywhere (balance.ts) with the same values: then chunk c's part runs from cuts[c] to cuts[c + 1]. */
  readonly balanced: boolean;
  /** Phase 1, chunk c of C: forward and back its samples of the mini-batch order[start .. start + m − 1], of epoch `epoch` (augmentation draws by it; null: the images as they are). */
  columns(m: number, c: number, C: number, set: LabelledImages, order: Uint32Array, start: number, epoch: number | null, cuts: ArrayLike<number>): void;
  /** Phase 2, chunk c of C, after every chunk of phase 1: its part of the update, with learning rate η (the optimizer has begun the step). */
  rows(m: number, c: number, C: number, eta: number, cuts: ArrayLike<number>): void;
  /** Evaluation chunk c of C: its right answers among samples part(count, c, C). */
  evaluatePart(data: LabelledImages, c: number, C: number): number;
}

/** Samples each thread evaluates at a time: 500 through dense layers, 20 with convolutions (their patches are large). */
export function evalWidthOf(net: LayerStack): number {
  return net.fullyConnected ? 500 : 20;
}
