// nn/parallel/replicas.ts: a step of any stack (convolutions, batch norm) in
// T chunks, data-parallel. Chunk c has a replica of the stack: its own arrays
// and gradients, the parameters (and layer state) shared; every thread can
// run every replica, since all live in the one shared memory.
//   columns  chunk c's replica takes part(m, c, T) of the samples through the
//            whole stack into its own gradients;
//   rows     chunk c adds up every replica's gradients, in replica order, for
//            its part of each parameter range, and steps that part.
// The same seed and T give the same weights, byte for byte, whichever thread
// ran which chunk; another T adds the mini-batch up in other parts, so rounds
// differently. Batch norm normalises each replica's share by its own
// statistics, and replica 0 alone keeps the running averages (PyTorch's
// DistributedDataParallel keeps rank 0's the same way).

import { gatherBatch, type LabelledImages } from '../../data/dataset.js';
import type { Augmenter } from '../../data/augment.js';
import type { Rng } from '../../rng.js';
import type { Backend } from '../../backend.js';
import { BatchNorm, Dropout, part } from '../layers/index.js';
import type { RangeViews } from '../optimizers/index.js';
import { axpyArrays } from '../../tensor/ops.js';
import { LayerStack } from '../stack.js';
import { evalWidthOf, type Split } from './split.js';

interface Share {
  /** Replica 0's gradients over the share, which the others' are added into, and theirs. */
  readonly sum: Float32Array;
  readonly others: Float32Array[];
  readonly views: RangeViews;
  /** Which of the stack's ranges it is part of. */
  readonly range: number;
}

export class ReplicaSplit implements Split {
  readonly evalWidth: number;
  readonly chunks: { columns: number; rows: number };
  readonly soloChunks: { columns: number; rows: number };
  /** A replica's samples are its half of the batch whatever the timing: they decide the order of the sums. */
  readonly balanced = false;
  private readonly shares = new Map<number, Share[]>();
  private readonly peers: Float32Array[];
  augment: Augmenter | null = null;

  /**
   * `net`: this thread's own stack, whose optimizer steps the rows;
   * `replicas`: this thread's view of every replica, in order (replica c runs
   * chunk c); their gradient buffers are added up in that order.
   */
  constructor(readonly net: LayerStack, private readonly replicas: LayerStack[]) {
    this.evalWidth = evalWidthOf(net);
    this.chunks = { columns: replicas.length, rows: replicas.length };
    this.soloChunks = this.chunks; // a replica per chunk: the sums' order is the weights'
    this.peers = replicas.map((r) => r.grads);
  }

  /** A replica other than thread 0's reads the running statistics but does not update them. */
  static follow(replica: LayerStack): void {
    for (const l of replica.layers) if (l instanceof BatchNorm) l.tracks = false;
  }

  /** Every mask of the step from rng, replica by replica, in the order one thread would draw them for those samples. */
  drawMasks(m: number, rng: Rng): void {
    const T = this.replicas.length;
    const layers = this.net.layers;
    for (let i = 0; i < layers.length; i++) { // a plain loop: runs every step
      const l = layers[i];
      if (!(l instanceof Dropout) || l.p === 0) continue;
      for (let t = 0; t < T; t++) {
        const n = Math.floor(((t + 1) * m) / T) - Math.floor((t * m) / T); // part(m, t, T)'s size, without making a pair each step
        const replica = this.replicas[t];
        if (n > 0) (replica.layers[i] as Dropout).drawMasks(replica.whole(n), rng);
      }
    }
  }

  columns(m: number, c: number, C: number, set: LabelledImages, order: Uint32Array, start: number, epoch: number | null): void {
    const net = this.replicas[c];
    const j0 = Math.floor((c * m) / C); // part(m, c, C), without making a pair each step
    const n = Math.floor(((c + 1) * m) / C) - j0;
    if (n === 0) {
      net.grads.fill(0);
      return;
    }
    const b = net.whole(n);
    const x = net.own.get(b, 'x', net.inputSize);
    const y = net.own.get(b, 'y', net.classes);
    gatherBatch(x, y, net.classes, set, order, start + j0, n);
    if (epoch !== null) this.augment?.apply(x, set, order, start + j0, n, epoch);
    net.back(net.run(x, b, true, null), y, b, true);
  }

  rows(m: number, c: number, C: number, eta: number): void {
    const opt = this.net.optimizer;
    for (const s of this.sharesOf(c, C)) {
      for (const other of s.others) axpyArrays(s.sum, 1, other); // float sums in replica order: ((g₀ + g₁) + g₂) …
      s.views.scale = this.net.rangeScale(s.range);
      opt.step(s.views, eta, m);
    }
  }

  evaluatePart(data: LabelledImages, c: number, C: number): number {
    return this.replicas[c].evaluatePart(data, c, C, this.evalWidth);
  }

  /** Chunk c's part of every parameter range: views into the parameters, the summed gradients (replica 0's) and the optimizer's state, made once. */
  private sharesOf(t: number, T: number): Share[] {
    const key = t * 1024 + T;
    let list = this.shares.get(key);
    if (list) return list;
    const net = this.net;
    list = net.ranges.map((r, range) => {
      const [i0, i1] = part(r.to - r.from, t, T);
      const from = r.from + i0;
      const to = r.from + i1;
      const [sum, ...others] = this.peers.map((g) => g.subarray(from, to));
      return { sum, others, range, views: net.optimizer.views(net.params, this.peers[0], { ...r, from, to }) };
    });
    this.shares.set(key, list);
    return list;
  }

  /** Makes every array replica t uses (its shares of the batch sizes in ms, and the evaluation width), in a fixed order. */
  static warm(net: LayerStack, ms: number[], t: number, T: number, evalWidth: number): void {
    net.untracked(() => ReplicaSplit.passes(net, ms, t, T, evalWidth)); // on empty arrays: batch norm's running averages stay as they are
  }

  private static passes(net: LayerStack, ms: number[], t: number, T: number, evalWidth: number): void {
    const sizes: number[] = [];
    for (const m of ms) {
      const [j0, j1] = part(m, t, T);
      if (j1 > j0 && !sizes.includes(j1 - j0)) sizes.push(j1 - j0);
    }
    for (const n of sizes) {
      const b = net.whole(n);
      net.back(net.run(net.own.get(b, 'x', net.inputSize), b, true, null), net.own.get(b, 'y', net.classes), b, true);
    }
    if (evalWidth) net.forward(net.input(evalWidth).data, evalWidth);
  }

  /** Thread 0: makes replicas 0 … T − 1 in its stack's memory, recording each one's allocations for the workers to replay. */
  static make(net: LayerStack, ms: number[], T: number, evalWidth: number): { split: ReplicaSplit; replay: [number, number][][]; grads: number[] } {
    const replicas: LayerStack[] = [];
    const replay: [number, number][][] = [];
    for (let t = 0; t < T; t++) {
      const record: [number, number][] = [];
      const recorder: Backend = {
        ...net.backend,
        alloc: (n) => {
          const view = net.backend.alloc(n);
          record.push([view.byteOffset, n]);
          return view;
        },
      };
      const r = ReplicaSplit.replica(net.spec, net.image, recorder, net.params, net.state, net.cost, ms, t, T, evalWidth);
      r.labelSmoothing = net.labelSmoothing;
      replicas.push(r);
      replay.push(record);
    }
    return { split: new ReplicaSplit(net, replicas), replay, grads: replicas.map((r) => r.grads.byteOffset) };
  }

  /** Replica t of T over the shared parameters and state, with every array it uses made (in a fixed order, which a worker replays). */
  static replica(
    spec: string, image: LayerStack['image'], backend: Backend, params: Float32Array, state: Float32Array, cost: LayerStack['cost'],
    ms: number[], t: number, T: number, evalWidth: number,
  ): LayerStack {
    const r = new LayerStack(spec, image, backend, { params, state, cost });
    if (t > 0) ReplicaSplit.follow(r);
    ReplicaSplit.warm(r, ms, t, T, evalWidth);
    return r;
  }
}
