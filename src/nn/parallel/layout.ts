// nn/parallel/layout.ts: where a stack's arrays are in shared memory, so that
// worker threads can attach to them. Thread 0 makes every array the threads
// will use (shareStack) and sends the layout; each worker builds its own view
// of the stack over the same memory (attachStack): the one stack itself for a
// row split, its replica for a replica split.

import type { Backend } from '../../backend.js';
import { activations, type Activation } from '../activations.js';
import { costs, type Cost } from '../costs.js';
import type { Shape } from '../layer-spec.js';
import { makeOptimizer, type OptimizerSettings } from '../optimizers/index.js';
import { Network } from '../network.js';
import { LayerStack, type StackOptions } from '../stack.js';
import { ReplicaSplit } from './replicas.js';
import { RowSplit } from './rows.js';
import type { Split } from './split.js';

/** Byte offsets and sizes of a stack's arrays in the shared memory. */
export interface StackLayout {
  /** 'rows': every thread works on the one stack (fully-connected: samples, then neurons); 'replicas': each on its own. */
  mode: 'rows' | 'replicas';
  spec: string;
  image: Shape;
  params: number;
  paramCount: number;
  state: number;
  stateCount: number;
  /** The optimizer's settings, steps so far and state arrays (byte offsets). */
  optimizer: { settings: OptimizerSettings; steps: number; arrays: number[] };
  /** Each replica's gradient buffer, replica 0 (thread 0) first; one in 'rows' mode. */
  grads: number[];
  /** 'replicas': each replica's allocations in order (byte offset, floats), replayed by its worker. */
  replay: [number, number][][];
  /** 'rows': every array of the stack: [layer (−1: the stack's own), m, name, byte offset, floats]. */
  buffers: [number, number, string, number, number][];
  /** Chunks per phase of a step (Split.chunks). */
  chunks: { columns: number; rows: number };
  /** The cost's name (BP1 is the cost's), and the label smoothing ε its targets take (0: none). */
  cost: Cost['name'];
  smoothing: number;
  ms: number[];
  evalWidth: number;
  /** For a fully-connected Network: what rebuilds it (its sizes, cost, activation, dropout). */
  network?: { sizes: number[]; cost: Cost['name']; activation: Activation['name']; dropout: number };
}

/**
 * Thread 0: makes every array the threads will use, in the stack's (shared)
 * memory, and returns where they are with thread 0's split. `ms`: the
 * mini-batch sizes of the run; `evalWidth`: samples per thread per evaluation
 * batch (0: no evaluation on threads).
 */
export function shareStack(net: LayerStack, ms: number[], T: number, evalWidth: number): { layout: StackLayout; split: Split } {
  const opt = net.optimizer;
  const base = {
    spec: net.spec, image: net.image, params: net.params.byteOffset, paramCount: net.params.length,
    state: net.state.byteOffset, stateCount: net.state.length,
    optimizer: { settings: { ...opt.settings }, steps: opt.steps, arrays: opt.state.map((a) => a.byteOffset) },
    cost: net.cost.name, smoothing: net.labelSmoothing, ms, evalWidth, network: net.rebuild(),
  };
  if (!net.fullyConnected) {
    const { split, replay, grads } = ReplicaSplit.make(net, ms, T, evalWidth);
    return { layout: { ...base, mode: 'replicas', grads, replay, buffers: [], chunks: split.chunks }, split };
  }
  const split = new RowSplit(net, RowSplit.chunksFor(T));
  split.warm(ms, T, evalWidth);
  const buffers: StackLayout['buffers'] = [];
  net.own.list(-1, buffers);
  net.layers.forEach((l, i) => l.buf.list(i, buffers));
  return { layout: { ...base, mode: 'rows', grads: [net.grads.byteOffset], replay: [], buffers, chunks: split.chunks }, split };
}

/** A worker thread's view of the stack thread 0 shares, and its split: thread t of T. */
export function attachStack(layout: StackLayout, t: number, T: number, backend: Backend): Split {
  const buffer = backend.sharedBuffer!;
  const floats = (offset: number, n: number) => new Float32Array(buffer, offset, n);
  const state = layout.stateCount ? floats(layout.state, layout.stateCount) : new Float32Array(0);
  const adoptOptimizer = (net: LayerStack) => {
    const opt = makeOptimizer(layout.optimizer.settings);
    opt.adopt(layout.optimizer.arrays.map((a) => floats(a, layout.paramCount)), layout.optimizer.steps);
    net.optimizer = opt;
  };
  if (layout.mode === 'rows') {
    const strict: Backend = {
      ...backend,
      alloc: (n) => {
        throw new Error(`threads: thread ${t} needs an array (${n} floats) thread 0 did not make: a mini-batch size the threads were not started for?`);
      },
    };
    const shared: StackOptions['shared'] = { params: floats(layout.params, layout.paramCount), grads: floats(layout.grads[0], layout.paramCount), state };
    const n = layout.network;
    let net: LayerStack;
    if (n) {
      const network = new Network(n.sizes, { backend: strict, shared, cost: costs[n.cost], activation: activations[n.activation] });
      network.dropout = n.dropout;
      net = network;
    } else {
      net = new LayerStack(layout.spec, layout.image, strict, { shared, cost: costs[layout.cost] });
    }
    net.labelSmoothing = layout.smoothing;
    adoptOptimizer(net);
    for (const [owner, m, name, offset, count] of layout.buffers) (owner < 0 ? net.own : net.layers[owner].buf).adopt(m, name, floats(offset, count));
    return new RowSplit(net, layout.chunks);
  }
  // every replica, as thread 0 made them: this thread may run any chunk
  const params = floats(layout.params, layout.paramCount);
  const replicas = layout.replay.map((steps, r) => {
    let next = 0;
    const replay: Backend = {
      ...backend,
      alloc: (n) => {
        const [offset, count] = steps[next++] ?? [-1, -1];
        if (count !== n) throw new Error(`threads: replica ${r} allocates differently from thread 0 (allocation ${next}: ${n} floats, expected ${count})`);
        return floats(offset, n);
      },
    };
    const replica = ReplicaSplit.replica(layout.spec, layout.image, replay, params, state, costs[layout.cost], layout.ms, r, T, layout.evalWidth);
    if (next !== steps.length) throw new Error(`threads: replica ${r} made ${next} arrays; thread 0 made ${steps.length}`);
    replica.labelSmoothing = layout.smoothing;
    return replica;
  });
  // its own stack steps the rows: the shared parameters, with the optimizer's shared state
  const net = replicas[0];
  adoptOptimizer(net);
  return new ReplicaSplit(net, replicas);
}
