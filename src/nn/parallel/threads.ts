// nn/parallel/threads.ts: one training step shared by T threads over shared
// memory. Each step has two phases and two barriers (split.ts: columns, rows):
//   phase 1  thread t gathers, feeds forward and backpropagates (BP1, BP2)
//            its own samples (columns) of the mini-batch;
//   phase 2  once all have, thread t computes BP3 and BP4 for its own rows
//            (neurons) of every layer, summed over all m samples, and updates
//            those rows of w and b.
// For a fully-connected network no value is ever summed across threads, so
// every weight comes out bit-identical whatever T is (and equal to
// updateMiniBatch's). A stack with convolutions runs the same two phases
// data-parallel: in phase 1 each thread's replica takes its part of the
// samples through the whole stack into its own gradients; in phase 2 each
// thread sums the replicas' gradients, in order, for its part of the
// parameters and updates it. The same seed and T give the same weights;
// another T rounds differently.
// Threads meet at spin-then-sleep barriers on an Int32Array (Atomics), which
// cost microseconds, not a message per step. Platform-free: a spawner from
// src/node (worker_threads) or the page (Web Workers) makes the threads.

import type { LabelledImages } from '../../data/dataset.js';
import type { Rng } from '../../rng.js';
import { sharedBackend, type BackendName } from '../../backend.js';
import { SCRATCH_SLOTS } from '../../kernels/wasm.js';
import type { LayerStack } from '../stack.js';
import { Network } from '../network.js';
import { sameSettings, type OptimizerSettings } from '../optimizers/index.js';
import { attachStack, shareStack, type StackLayout } from './layout.js';
import { evalWidthOf, type Split } from './split.js';

/** A worker thread as the platform gives it. */
export interface ThreadHandle {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  terminate(): unknown;
}

export type SpawnThread = () => ThreadHandle;

/** What a worker thread is told when it starts. */
export interface ThreadInit {
  t: number;
  T: number;
  backend: BackendName;
  memory: WebAssembly.Memory | SharedArrayBuffer;
  layout: StackLayout;
  control: SharedArrayBuffer;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  order: SharedArrayBuffer;
  count: number;
  rows: number;
  cols: number;
  /** The evaluation set, if any: the same fields. */
  evaluation: { images: SharedArrayBuffer; labels: SharedArrayBuffer; count: number } | null;
}

// control: Int32Array slots
const GENERATION = 0; // bumped by thread 0 to start step number GENERATION
const COMMAND = 1; // STEP or EXIT
const ARRIVED_A = 2; // phase-1 arrivals so far, all steps together (T per step, never reset)
const ARRIVED_B = 3; // phase-2 arrivals so far
const M = 4; // mini-batch size of this step
const START = 5; // its first position in `order`
const ETA = 1; // Float64Array slot (bytes 8..15 of the second half)
const FAILED = 6; // 1 + the number of a thread that failed (0: none): the others stop waiting for it
const HITS = 8; // HITS + t: thread t's count of right answers in an evaluation
const STEP = 1;
const EXIT = 2;
const EVALUATE = 3;
/** As many as the WebAssembly memory has scratch slots: each thread's gemm lists its own nonzero steps. */
export const MAX_THREADS = SCRATCH_SLOTS;
const CONTROL_INTS = HITS + MAX_THREADS;
// after the ints and η (16 bytes): a failed thread's message, its byte length first, then UTF-8
const MESSAGE_AT = CONTROL_INTS * 4 + 16;
const MESSAGE_BYTES = 1024;
const CONTROL_BYTES = MESSAGE_AT + 4 + MESSAGE_BYTES;

/** A failing thread leaves its error message for thread 0 (which is blocked in a wait and cannot read a posted message). */
function leaveMessage(control: Int32Array, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, MESSAGE_BYTES);
  new Uint8Array(control.buffer, MESSAGE_AT + 4, MESSAGE_BYTES).set(bytes);
  new Int32Array(control.buffer, MESSAGE_AT, 1)[0] = bytes.length;
}

function readMessage(control: Int32Array): string {
  const n = new Int32Array(control.buffer, MESSAGE_AT, 1)[0];
  return new TextDecoder().decode(new Uint8Array(control.buffer, MESSAGE_AT + 4, n).slice()); // a copy: TextDecoder takes no shared memory
}
const SPINS = 200000; // about 0.1–0.5 ms of polling before a thread sleeps (Chromium wakes sleepers slowly)

/** Waits until control[slot] differs from `value` (spin, then Atomics.wait). */
function waitWhile(control: Int32Array, slot: number, value: number): void {
  for (let i = 0; i < SPINS; i++) if (Atomics.load(control, slot) !== value) return;
  while (Atomics.load(control, slot) === value) {
    const failed = Atomics.load(control, FAILED);
    if (failed) throw new Error(`threads: worker thread ${failed - 1} failed: ${readMessage(control)}`);
    Atomics.wait(control, slot, value, 50);
  }
}

/**
 * Counts this thread in at `slot` and waits until the count reaches `target`
 * (T × the step number). The counts only grow, so a thread still leaving one
 * barrier cannot miss it being reused by the next step.
 */
function barrier(control: Int32Array, slot: number, target: number): void {
  let seen = Atomics.add(control, slot, 1) + 1;
  if (seen >= target) {
    Atomics.notify(control, slot);
    return;
  }
  while (seen < target) {
    waitWhile(control, slot, seen);
    seen = Atomics.load(control, slot);
  }
}

interface Shared {
  control: Int32Array;
  eta: Float64Array;
  set: LabelledImages;
  evaluation: LabelledImages | null;
  order: Uint32Array;
}

type SharedInit = Pick<ThreadInit, 'control' | 'images' | 'labels' | 'order' | 'count' | 'rows' | 'cols' | 'evaluation'>;

function sharedViews(init: SharedInit): Shared {
  const e = init.evaluation;
  return {
    control: new Int32Array(init.control, 0, CONTROL_INTS),
    eta: new Float64Array(init.control, CONTROL_INTS * 4, 2),
    set: {
      images: new Uint8Array(init.images),
      labels: new Uint8Array(init.labels),
      count: init.count,
      rows: init.rows,
      cols: init.cols,
    },
    evaluation: e
      ? { images: new Uint8Array(e.images), labels: new Uint8Array(e.labels), count: e.count, rows: init.rows, cols: init.cols }
      : null,
    order: new Uint32Array(init.order),
  };
}

/** Copies a set into shared memory, so that every thread can read it. */
function shareSet(set: LabelledImages): { images: SharedArrayBuffer; labels: SharedArrayBuffer } {
  const images = new SharedArrayBuffer(set.images.length);
  new Uint8Array(images).set(set.images);
  const labels = new SharedArrayBuffer(set.labels.length);
  new Uint8Array(labels).set(set.labels);
  return { images, labels };
}

/** Thread t's part of an evaluation, number `step` in the step count; the hits go to HITS + t. */
function doEvaluate(split: Split, s: Shared, t: number, T: number, step: number): void {
  s.control[HITS + t] = split.evaluatePart(s.evaluation!, t, T);
  barrier(s.control, ARRIVED_A, T * step);
  barrier(s.control, ARRIVED_B, T * step);
}

/** Both phases of step number `step`, for thread t. */
function doStep(split: Split, s: Shared, t: number, T: number, step: number): void {
  const m = s.control[M];
  const start = s.control[START];
  split.columns(m, t, T, s.set, s.order, start);
  barrier(s.control, ARRIVED_A, T * step);
  split.rows(m, t, T, s.eta[ETA]);
  barrier(s.control, ARRIVED_B, T * step);
}

/** The body of a worker thread: attach to the shared network, then do steps until told to exit. */
export async function runThread(init: ThreadInit, ready: () => void): Promise<void> {
  const backend = await sharedBackend(init.backend, init.memory, init.t);
  const layout = init.layout;
  const split = attachStack(layout, init.t, init.T, backend);
  const s = sharedViews(init);
  let generation = Atomics.load(s.control, GENERATION);
  ready();
  for (;;) {
    waitWhile(s.control, GENERATION, generation);
    generation = Atomics.load(s.control, GENERATION);
    const command = s.control[COMMAND];
    if (command === EXIT) return;
    try {
      if (command === EVALUATE) doEvaluate(split, s, init.t, init.T, generation);
      else doStep(split, s, init.t, init.T, generation);
    } catch (err) {
      leaveMessage(s.control, err instanceof Error ? err.message : String(err));
      Atomics.store(s.control, FAILED, init.t + 1); // thread 0 stops waiting at the next barrier and reports it
      throw err;
    }
  }
}

/**
 * Runs the steps of one training run on T threads: this one (thread 0) and
 * T − 1 workers. The network must live in shared memory (sharedBackend).
 */
export class ThreadedSteps {
  private constructor(
    private readonly net: LayerStack,
    private readonly split: Split,
    private readonly T: number,
    private readonly s: Shared,
    private readonly workers: ThreadHandle[],
    private readonly evaluationSet: LabelledImages | undefined,
    /** The optimizer's settings the workers copied when they started. */
    readonly optimizer: OptimizerSettings,
    /** The Network's dropout the workers copied when they started (a stack's is in its layers). */
    readonly dropout: number,
  ) {}

  /**
   * Starts T − 1 workers for training `net` on `training` with mini-batches of
   * the sizes in `ms`, and for evaluating it on `evaluation` if given.
   */
  static async start(
    net: LayerStack, training: LabelledImages, ms: number[], T: number, spawn: SpawnThread, evaluation?: LabelledImages,
  ): Promise<ThreadedSteps> {
    const memory = net.backend.sharedMemory;
    if (!memory) throw new Error('threads: the network must live in shared memory; make it with sharedBackend()');
    if (!Number.isInteger(T) || T < 1 || T > MAX_THREADS) throw new RangeError(`threads: T must be from 1 to ${MAX_THREADS}; got ${T}`);
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const order = new SharedArrayBuffer(training.count * 4);
    const { layout, split } = shareStack(net, ms, T, evaluation ? evalWidthOf(net) : 0);
    const base: SharedInit & Omit<ThreadInit, 't' | 'T'> = {
      backend: net.backend.name, memory, layout, control, ...shareSet(training), order,
      count: training.count, rows: training.rows, cols: training.cols,
      evaluation: evaluation ? { ...shareSet(evaluation), count: evaluation.count } : null,
    };
    const workers: ThreadHandle[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 1; t < T; t++) {
      const w = spawn();
      ready.push(
        new Promise((resolve, reject) =>
          w.onMessage((msg) => {
            const m = msg as { ready?: boolean; error?: string };
            if (m.error) reject(new Error(`thread ${t}: ${m.error}`));
            else if (m.ready) resolve();
          }),
        ),
      );
      w.postMessage({ ...base, t, T } satisfies ThreadInit);
      workers.push(w);
    }
    const steps = new ThreadedSteps(net, split, T, sharedViews(base), workers, evaluation, { ...net.optimizer.settings }, net instanceof Network ? net.dropout : 0);
    await Promise.all(ready);
    return steps;
  }

  /** The shared sample order: shuffle it in place before an epoch. */
  get order(): Uint32Array {
    return this.s.order;
  }

  /**
   * One SGD step on the samples order[start .. start + m − 1]. With dropout,
   * `masks` draws the step's masks first, here, in one thread's order.
   */
  step(start: number, m: number, eta: number, masks: Rng | null = null): void {
    if (this.net.drops) {
      if (!masks) throw new Error('threads: a network with dropout needs the generator its masks come from');
      this.split.drawMasks(m, this.T, masks);
    }
    const c = this.s.control;
    c[M] = m;
    c[START] = start;
    this.s.eta[ETA] = eta;
    c[COMMAND] = STEP;
    const step = Atomics.add(c, GENERATION, 1) + 1;
    Atomics.notify(c, GENERATION);
    doStep(this.split, this.s, 0, this.T, step);
  }

  /** How many samples of the evaluation set given to start() the network gets right, shared among the threads. */
  evaluate(): number {
    if (!this.s.evaluation) throw new Error('threads: no evaluation set was given to ThreadedSteps.start');
    const c = this.s.control;
    c[COMMAND] = EVALUATE;
    const step = Atomics.add(c, GENERATION, 1) + 1;
    Atomics.notify(c, GENERATION);
    doEvaluate(this.split, this.s, 0, this.T, step);
    let correct = 0;
    for (let t = 0; t < this.T; t++) correct += c[HITS + t];
    return correct;
  }

  /** Whether the workers step with these optimizer settings (they copied them at start). */
  stepsWith(settings: OptimizerSettings): boolean {
    return sameSettings(this.optimizer, settings);
  }

  /** True when `set` is the evaluation set these threads were started with. */
  evaluates(set: LabelledImages): boolean {
    return set === this.evaluationSet;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const c = this.s.control;
    c[COMMAND] = EXIT;
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

