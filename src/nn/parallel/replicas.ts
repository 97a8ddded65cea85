// nn/parallel/replicas.ts: a step of any stack (convolutions, batch norm) on T
// threads, data-parallel. Each thread has a replica of the stack: its own
// arrays and gradients, the parameters (and layer state) shared.
//   columns  thread t's replica takes its share of the samples through the
//            whole stack into its own gradients;
//   rows     thread t adds up every replica's gradients, in replica order, for
//            its share of each parameter range, and steps that share.
// The same seed and T give the same weights, byte for byte; another T adds the
// mini-batch up in other parts, so rounds differently. Batch norm normalises
// each replica's share by its own statistics, and thread 0's replica alone
// keeps the running averages (PyTorch's DistributedDataParallel keeps rank
// 0's the same way).

import { gatherBatch, type LabelledImages } from '../../data/dataset.js';
import type { Rng } from '../../rng.js';
import type { Backend } from '../../backend.js';
import { BatchNorm, Dropout, part } from '../layers/index.js';
import type { RangeViews } from '../optimizers/index.js';
import { LayerStack } from '../stack.js';
import { evalWidthOf, type Split } from './split.js';

interface Share {
  readonly from: number;
  readonly to: number;
  readonly views: RangeViews;
  /** Which of the stack's ranges it is part of. */
  readonly range: number;
}

export class ReplicaSplit implements Split {
  readonly evalWidth: number;
  private readonly shares = new Map<number, Share[]>();

  /**
   * `peers`: every replica's gradient buffer, in replica order (this thread's
   * among them); `replicas`: thread 0's view of every replica (to draw their
   * dropout masks), replicas[0] being its own stack.
   */
  constructor(readonly net: LayerStack, private readonly peers: Float32Array[], private readonly replicas: LayerStack[] = [net]) {
    this.evalWidth = evalWidthOf(net);
  }

  /** A replica other than thread 0's reads the running statistics but does not update them. */
  static follow(replica: LayerStack): void {
    for (const l of replica.layers) if (l instanceof BatchNorm) l.tracks = false;
  }

  /** Every mask of the step from rng, replica by replica, in the order one thread would draw them for those samples. */
  drawMasks(m: number, T: number, rng: Rng): void {
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

  columns(m: number, t: number, T: number, set: LabelledImages, order: Uint32Array, start: number): void {
    const net = this.net;
    const j0 = Math.floor((t * m) / T); // part(m, t, T), without making a pair each step
    const n = Math.floor(((t + 1) * m) / T) - j0;
    if (n === 0) {
      net.grads.fill(0);
      return;
    }
    const b = net.whole(n);
    const x = net.own.get(b, 'x', net.inputSize);
    const y = net.own.get(b, 'y', net.classes);
    gatherBatch(x, y, net.classes, set, order, start + j0, n);
    net.back(net.run(x, b, true, null), y, b, true);
  }

  rows(m: number, t: number, T: number, eta: number): void {
    const peers = this.peers;
    const opt = this.net.optimizer;
    opt.begin();
    for (const s of this.sharesOf(t, T)) {
      for (let i = s.from; i < s.to; i++) {
        let sum = peers[0][i];
        for (let p = 1; p < peers.length; p++) sum += peers[p][i];
        peers[0][i] = sum;
      }
      s.views.scale = this.net.rangeScale(s.range);
      opt.step(s.views, eta, m);
    }
  }

  evaluatePart(data: LabelledImages, t: number, T: number): number {
    return this.net.evaluatePart(data, t, T, this.evalWidth);
  }

  /** Thread t's part of every parameter range: views into the parameters, the summed gradients (replica 0's) and the optimizer's state, made once. */
  private sharesOf(t: number, T: number): Share[] {
    const key = t * 64 + T;
    let list = this.shares.get(key);
    if (list) return list;
    const net = this.net;
    list = net.ranges.map((r, range) => {
      const [i0, i1] = part(r.to - r.from, t, T);
      const from = r.from + i0;
      const to = r.from + i1;
      return { from, to, range, views: net.optimizer.views(net.params, this.peers[0], { ...r, from, to }) };
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

  /** Thread 0: makes the replicas for threads 1 … T − 1 in its stack's memory, recording each one's allocations for its worker to replay. */
  static make(net: LayerStack, ms: number[], T: number, evalWidth: number): { split: ReplicaSplit; replay: [number, number][][]; grads: number[] } {
    const replicas: LayerStack[] = [net];
    const replay: [number, number][][] = [[]];
    for (let t = 1; t < T; t++) {
      const record: [number, number][] = [];
      const recorder: Backend = {
        ...net.backend,
        alloc: (n) => {
          const view = net.backend.alloc(n);
          record.push([view.byteOffset, n]);
          return view;
        },
      };
      const r = new LayerStack(net.spec, net.image, recorder, { params: net.params, state: net.state, cost: net.cost });
      ReplicaSplit.follow(r);
      ReplicaSplit.warm(r, ms, t, T, evalWidth);
      replicas.push(r);
      replay.push(record);
    }
    ReplicaSplit.warm(net, ms, 0, T, evalWidth);
    return { split: new ReplicaSplit(net, replicas.map((r) => r.grads), replicas), replay, grads: replicas.map((r) => r.grads.byteOffset) };
  }
}
