// nn/parallel/threads.ts: one training step shared by T threads over shared
// memory. A step has two phases (split.ts), each cut into chunks:
//   phase 1  chunk c gathers, feeds forward and backpropagates (BP1, BP2) its
//            samples (columns) of the mini-batch;
//   phase 2  once every chunk of phase 1 is done, chunk c computes BP3 and
//            BP4 for its rows (neurons) of every layer, summed over all m
//            samples, and updates those rows of w and b.
// The threads do not own shares: each claims the next chunk of the phase
// (a compare-exchange on a ticket counter) until none is left, then waits
// for the phase to be done. So when a worker is descheduled (another process
// has its core) or slow to wake, thread 0 does its chunks instead of waiting
// at a barrier; a chunk already claimed is the most it waits for. Which
// thread ran a chunk never changes a value: for a fully-connected network
// every weight comes out bit-identical whatever T is (and equal to
// updateMiniBatch's); a stack with convolutions runs one replica per chunk,
// the same weights for the same T.
// Waiting spins, then sleeps (Atomics.wait) on an Int32Array: microseconds,
// not a message per step. Platform-free: a spawner from src/node
// (worker_threads) or the page (Web Workers) makes the threads.

import type { LabelledImages } from '../../data/dataset.js';
import type { Rng } from '../../rng.js';
import { sharedBackend, type BackendName } from '../../backend.js';
import { SCRATCH_SLOTS } from '../../kernels/wasm.js';
import type { LayerStack } from '../stack.js';
import { Network } from '../network.js';
import { sameSettings, type OptimizerSettings } from '../optimizers/index.js';
import { attachStack, shareStack, type StackLayout } from './layout.js';
import { evalWidthOf, type Split } from './split.js';
import { Pace } from './pace.js';
import { openPhases, runPhase, waitWhile } from './tickets.js';
import { Augmenter, sameAugment, type AugmentSettings } from '../../data/augment.js';

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
  /** Augmentation of the training images as they are gathered, if any (data/augment.ts). */
  augment: AugmentOption | null;
}

/** How the threads distort the training images: settings and the seed every sample's draws come from. */
export interface AugmentOption {
  settings: AugmentSettings;
  seed: number;
}

// control: Int32Array slots
const GENERATION = 0; // bumped by thread 0 to start command number GENERATION (a step or an evaluation)
const COMMAND = 1; // STEP, EVALUATE or EXIT
const M = 2; // mini-batch size of this step
const START = 3; // its first position in `order`
const STEPS = 4; // the optimizer's step number for this step (Adam's t), for whichever thread steps rows
const FAILED = 5; // 1 + the number of a thread that failed (0: none): the others stop waiting for it
const EPOCH = 6; // the step's epoch, which augmentation draws by
const ETA = 1; // Float64Array slot (bytes 8..15 after the ints)
// Ticket counters, each on its own 64-byte line. Command g's chunks of a phase
// with C chunks are tickets (g − 1)·C … g·C − 1 (int32 arithmetic, wrapping):
// CLAIM is the next ticket to take, DONE counts the finished ones. Thread 0
// sets both to (g − 1)·C before command g if the phase is part of it, and to
// g·C (nothing to take, all done) if not; so a thread that reads a command
// late finds nothing to claim instead of doing the wrong work.
const CLAIM_A = 16; // phase 1 (columns)
const DONE_A = 32;
const CLAIM_B = 48; // phase 2 (rows)
const DONE_B = 64;
const CLAIM_E = 80; // an evaluation's chunks
const DONE_E = 96;
const HITS = 112; // HITS + c: evaluation chunk c's count of right answers
const RAN = HITS + 64; // RAN + 16·t: the chunks thread t has run (each thread's count on a line of its own)
const STEP = 1;
const EXIT = 2;
const EVALUATE = 3;
/** As many as the WebAssembly memory has scratch slots: each thread's gemm lists its own nonzero steps. */
export const MAX_THREADS = SCRATCH_SLOTS;
const CONTROL_INTS = RAN + 16 * MAX_THREADS;
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
function failure(control: Int32Array): Error | null {
  const failed = Atomics.load(control, FAILED);
  return failed ? new Error(`threads: worker thread ${failed - 1} failed: ${readMessage(control)}`) : null;
}

interface Shared {
  control: Int32Array;
  eta: Float64Array;
  set: LabelledImages;
  evaluation: LabelledImages | null;
  order: Uint32Array;
}

function makeAugmenter(a: AugmentOption | null, rows: number, cols: number): Augmenter | null {
  return a ? new Augmenter(a.settings, a.seed, rows, cols) : null;
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

/** Thread t's side of evaluation number g: chunks of the set, hits to HITS + c. */
function doEvaluate(split: Split, s: Shared, t: number, T: number, g: number): void {
  runPhase(s.control, CLAIM_E, DONE_E, g, T, failure, (c) => {
    s.control[HITS + c] = split.evaluatePart(s.evaluation!, c, T);
  }, RAN + 16 * t);
}

/** The optimizer stepping the rows is at step n (Adam's t), whichever steps this thread took part in. */
function stepNumber(split: Split, n: number): void {
  const opt = split.net.optimizer;
  if (opt.steps === n) return;
  opt.steps = n - 1;
  opt.begin();
}

/** Thread t's side of step number g: chunks of both phases. What a chunk reads (m, start, η) is read once it is claimed, so it is this step's. */
function doStep(split: Split, s: Shared, t: number, g: number): void {
  const c = s.control;
  const { columns, rows } = split.chunks;
  runPhase(c, CLAIM_A, DONE_A, g, columns, failure, (k) => split.columns(c[M], k, columns, s.set, s.order, c[START], c[EPOCH]), RAN + 16 * t);
  runPhase(c, CLAIM_B, DONE_B, g, rows, failure, (k) => {
    stepNumber(split, c[STEPS]);
    split.rows(c[M], k, rows, s.eta[ETA]);
  }, RAN + 16 * t);
}

/** The body of a worker thread: attach to the shared network, then do steps until told to exit. */
export async function runThread(init: ThreadInit, ready: () => void): Promise<void> {
  const backend = await sharedBackend(init.backend, init.memory, init.t);
  const layout = init.layout;
  const split = attachStack(layout, init.t, init.T, backend);
  split.augment = makeAugmenter(init.augment, init.rows, init.cols);
  const s = sharedViews(init);
  let generation = Atomics.load(s.control, GENERATION);
  ready();
  for (;;) {
    waitWhile(s.control, GENERATION, generation, failure);
    generation = Atomics.load(s.control, GENERATION);
    // read late, the command may be a later one's: then the phases it names are closed for this generation, and nothing is done
    const command = Atomics.load(s.control, COMMAND);
    if (command === EXIT) return;
    try {
      if (command === EVALUATE) doEvaluate(split, s, init.t, init.T, generation);
      else doStep(split, s, init.t, generation);
    } catch (err) {
      leaveMessage(s.control, err instanceof Error ? err.message : String(err));
      Atomics.store(s.control, FAILED, init.t + 1); // thread 0 stops waiting for the phase and reports it
      throw err;
    }
  }
}

/**
 * Runs the steps of one training run on T threads: this one (thread 0) and
 * T − 1 workers. The network must live in shared memory (sharedBackend).
 */
export class ThreadedSteps {
  /** Whether thread 0 runs steps alone where that is faster (pace.ts); false: every step on every thread. */
  adaptive = true;
  /** Times the steps and says which way the next one runs. */
  pace: Pick<Pace, 'together' | 'record'> = new Pace();

  private constructor(
    private readonly net: LayerStack,
    private readonly split: Split,
    private readonly T: number,
    private readonly s: Shared,
    private readonly workers: ThreadHandle[],
    /** The mini-batch sizes the threads have arrays for. */
    private readonly ms: number[],
    private readonly evaluationSet: LabelledImages | undefined,
    /** The optimizer's settings the workers copied when they started. */
    readonly optimizer: OptimizerSettings,
    /** The Network's dropout the workers copied when they started (a stack's is in its layers). */
    readonly dropout: number,
    /** The label smoothing ε the workers copied when they started. */
    readonly labelSmoothing: number,
  ) {}

  /**
   * Starts T − 1 workers for training `net` on `training` with mini-batches of
   * the sizes in `ms`, and for evaluating it on `evaluation` if given.
   */
  static async start(
    net: LayerStack, training: LabelledImages, ms: number[], T: number, spawn: SpawnThread, evaluation?: LabelledImages,
    options: { augment?: AugmentOption } = {},
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
      augment: options.augment ?? null,
    };
    split.augment = makeAugmenter(base.augment, training.rows, training.cols);
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
    const steps = new ThreadedSteps(net, split, T, sharedViews(base), workers, [...ms], evaluation, { ...net.optimizer.settings }, net instanceof Network ? net.dropout : 0, net.labelSmoothing);
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
  step(start: number, m: number, eta: number, masks: Rng | null = null, epoch = 0): void {
    if (!this.ms.includes(m)) throw new RangeError(`threads: a mini-batch of ${m}, but the threads were started for ${this.ms.join(', ')}; pass every size the run uses to ThreadedSteps.start`);
    if (this.net.drops) {
      if (!masks) throw new Error('threads: a network with dropout needs the generator its masks come from');
      this.split.drawMasks(m, masks);
    }
    const n = this.split.net.optimizer.steps + 1;
    const together = !this.adaptive || this.pace.together;
    const t0 = performance.now();
    if (together) {
      const c = this.s.control;
      const g = (Atomics.load(c, GENERATION) + 1) | 0;
      const { columns, rows } = this.split.chunks;
      c[M] = m;
      c[START] = start;
      c[STEPS] = n;
      c[EPOCH] = epoch;
      this.s.eta[ETA] = eta;
      openPhases(c, g, [[CLAIM_A, DONE_A, columns, true], [CLAIM_B, DONE_B, rows, true], [CLAIM_E, DONE_E, this.T, false]]);
      this.go(g, STEP);
      doStep(this.split, this.s, 0, g);
    } else {
      this.alone(start, m, eta, n, epoch);
    }
    stepNumber(this.split, n); // had the workers stepped every row, thread 0's optimizer still counts the step
    this.pace.record(m, performance.now() - t0);
    this.ran[+together]++;
  }

  /** The step's chunks, every one on thread 0 (the workers sleep): what a step together computes, value for value. */
  private alone(start: number, m: number, eta: number, n: number, epoch: number): void {
    const { split, s } = this;
    const { columns, rows } = split.soloChunks;
    for (let k = 0; k < columns; k++) split.columns(m, k, columns, s.set, s.order, start, epoch);
    stepNumber(split, n);
    for (let k = 0; k < rows; k++) split.rows(m, k, rows, eta);
    s.control[RAN] += columns + rows;
  }

  /** How many samples of the evaluation set given to start() the network gets right, shared among the threads. */
  evaluate(): number {
    if (!this.s.evaluation) throw new Error('threads: no evaluation set was given to ThreadedSteps.start');
    const c = this.s.control;
    if (!this.adaptive || this.pace.together) {
      const g = (Atomics.load(c, GENERATION) + 1) | 0;
      const { columns, rows } = this.split.chunks;
      openPhases(c, g, [[CLAIM_A, DONE_A, columns, false], [CLAIM_B, DONE_B, rows, false], [CLAIM_E, DONE_E, this.T, true]]);
      this.go(g, EVALUATE);
      doEvaluate(this.split, this.s, 0, this.T, g);
    } else {
      for (let k = 0; k < this.T; k++) c[HITS + k] = this.split.evaluatePart(this.s.evaluation!, k, this.T); // the buffers are per chunk of T
      c[RAN] += this.T;
    }
    let correct = 0;
    for (let k = 0; k < this.T; k++) correct += c[HITS + k];
    return correct;
  }

  /** Steps so far: [alone, together]. */
  private readonly ran = [0, 0];

  /** How many steps so far ran on every thread (together) and on thread 0 alone. */
  stepsRun(): { together: number; alone: number } {
    return { together: this.ran[1], alone: this.ran[0] };
  }

  /** How many chunks each thread has run so far (thread 0 first): who did the work. */
  chunksRun(): number[] {
    return Array.from({ length: this.T }, (_, t) => Atomics.load(this.s.control, RAN + 16 * t));
  }

  /** Starts command number g: the workers waiting on GENERATION wake and claim its chunks. */
  private go(g: number, command: number): void {
    const c = this.s.control;
    Atomics.store(c, COMMAND, command);
    Atomics.store(c, GENERATION, g);
    Atomics.notify(c, GENERATION);
  }

  /** Whether the workers step with these optimizer settings (they copied them at start). */
  stepsWith(settings: OptimizerSettings): boolean {
    return sameSettings(this.optimizer, settings);
  }

  /** Whether the threads distort the training images as `a` says (or not at all, for null). */
  augmentsWith(a: AugmentOption | null): boolean {
    const mine = this.split.augment;
    if (!mine || !a) return !mine && !a;
    return mine.seed === a.seed && sameAugment(mine.settings, a.settings);
  }

  /** True when `set` is the evaluation set these threads were started with. */
  evaluates(set: LabelledImages): boolean {
    return set === this.evaluationSet;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const c = this.s.control;
    const g = (Atomics.load(c, GENERATION) + 1) | 0;
    const { columns, rows } = this.split.chunks;
    openPhases(c, g, [[CLAIM_A, DONE_A, columns, false], [CLAIM_B, DONE_B, rows, false], [CLAIM_E, DONE_E, this.T, false]]);
    this.go(g, EXIT);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

