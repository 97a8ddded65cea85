// nn/parallel/threads.ts: one training step shared by T threads over shared
// memory. A step has two phases (split.ts), each cut into chunks:
//   phase 1  chunk c gathers, feeds forward and backpropagates (BP1, BP2) its
//            samples (columns) of the mini-batch;
//   phase 2  once every chunk of phase 1 is done, chunk c computes BP3 and
//            BP4 for its rows (neurons) of every layer, summed over all m
//            samples, and updates those rows of w and b.
// Thread t claims chunk t first (a compare-exchange on its claim slot), then
// any other chunk of the phase not yet claimed, then waits for the phase to
// be done. So each thread keeps to its own part of the arrays step after step,
// and when a worker is descheduled (another process has its core) or slow to
// wake, thread 0 does its chunks instead of waiting at a barrier; a chunk
// already claimed is the most it waits for. In a fully-connected step the
// chunks' parts follow the threads' measured speeds (balance.ts). Which
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
import type { LayerStack } from '../stack.js';
import { Network } from '../network.js';
import { sameSettings, type OptimizerSettings } from '../optimizers/index.js';
import { attachStack, shareStack, type StackLayout } from './layout.js';
import { evalWidthOf, type Split } from './split.js';
import { Pace } from './pace.js';
import { openPhases, runPhase, waitWhile } from './tickets.js';
import { Startup } from './startup.js';
import {
  CLAIM_A, CLAIM_B, CLAIM_E, COMMAND, CONTROL_BYTES, CONTROL_INTS, DONE_A, DONE_B, DONE_E, EPOCH, ETA, EVALUATE, EXIT,
  CUT_ONE, FLOATS, GENERATION, HITS, M, MAX_THREADS, RAN, READY, START, STEP, STEPS, fail, failure,
} from './control.js';
import { Balance, phaseTimes, timed, type PhaseTimes } from './balance.js';

/** The cuts of one chunk that takes the whole phase. */
const WHOLE = Int32Array.of(0, CUT_ONE);

export { MAX_THREADS } from './control.js';
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

interface Shared {
  control: Int32Array;
  /** η at ETA, the chunks' times from TIMES. */
  floats: Float64Array;
  /** Each phase of a step: where its chunks cut it, who ran each, in how long (balance.ts). */
  phases: [PhaseTimes, PhaseTimes];
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
  const control = new Int32Array(init.control, 0, CONTROL_INTS);
  const floats = new Float64Array(init.control, CONTROL_INTS * 4, FLOATS);
  return {
    control,
    floats,
    phases: [phaseTimes(control, floats, 0), phaseTimes(control, floats, 1)],
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
  }, RAN + 16 * t, t);
}

/** The optimizer stepping the rows is at step n (Adam's t), whichever steps this thread took part in. */
function stepNumber(split: Split, n: number): void {
  const opt = split.net.optimizer;
  if (opt.steps === n) return;
  opt.steps = n - 1;
  opt.begin();
}

/** Thread t's side of step number g: chunks of both phases. What a chunk reads (m, start, η, cuts) is read once it is claimed, so it is this step's. */
function doStep(split: Split, s: Shared, t: number, g: number): void {
  const c = s.control;
  const { columns, rows } = split.chunks;
  const [A, B] = s.phases;
  runPhase(c, CLAIM_A, DONE_A, g, columns, failure, (k) => timed(A, k, t, () => {
    split.columns(c[M], k, columns, s.set, s.order, c[START], c[EPOCH] < 0 ? null : c[EPOCH], A.cuts);
  }), RAN + 16 * t, t);
  runPhase(c, CLAIM_B, DONE_B, g, rows, failure, (k) => timed(B, k, t, () => {
    stepNumber(split, c[STEPS]);
    split.rows(c[M], k, rows, s.floats[ETA], B.cuts);
  }), RAN + 16 * t, t);
}

/** The body of a worker thread: attach to the shared network, then do steps until told to exit. */
export async function runThread(init: ThreadInit, ready: () => void): Promise<void> {
  const s = sharedViews(init);
  let split: Split;
  try {
    const backend = await sharedBackend(init.backend, init.memory, init.t);
    split = attachStack(init.layout, init.t, init.T, backend);
    split.augment = makeAugmenter(init.augment, init.rows, init.cols);
  } catch (err) {
    fail(s.control, init.t, err);
    throw err;
  }
  let generation = Atomics.load(s.control, GENERATION);
  Atomics.add(s.control, READY, 1); // thread 0 reads this between its steps, where it may take no message
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
      fail(s.control, init.t, err); // thread 0 stops waiting for the phase and reports it
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
  /** Cuts each phase of a step on every thread by the threads' speeds (balance.ts); null where the split's parts are fixed (replicas). */
  balance: Pick<Balance, 'record'> | null;

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
  ) {
    this.startup = new Startup(T - 1, s.control, READY, failure);
    this.balance = split.balanced ? new Balance(T, 2) : null;
    for (const [p, C] of [[0, split.chunks.columns], [1, split.chunks.rows]]) Balance.even(s.phases[p].cuts, C);
  }

  /** Whether the workers are there yet (thread 0 steps alone until they are, in an adaptive run). */
  private readonly startup: Startup;

  /**
   * Starts T − 1 workers for training `net` on `training` with mini-batches of
   * the sizes in `ms`, and for evaluating it on `evaluation` if given. With
   * `waitForWorkers: false` a fully-connected stack's steps begin at once, on
   * thread 0 alone until the workers are ready (a stack with convolutions
   * waits all the same).
   */
  static async start(
    net: LayerStack, training: LabelledImages, ms: number[], T: number, spawn: SpawnThread, evaluation?: LabelledImages,
    options: { augment?: AugmentOption; waitForWorkers?: boolean } = {},
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
    const steps = new ThreadedSteps(net, split, T, sharedViews(base), workers, [...ms], evaluation, { ...net.optimizer.settings }, net instanceof Network ? net.dropout : 0, net.labelSmoothing);
    for (let t = 1; t < T; t++) {
      const w = spawn();
      w.onMessage((msg) => steps.startup.heard(t, msg as { ready?: boolean; error?: string }));
      w.postMessage({ ...base, t, T } satisfies ThreadInit);
      workers.push(w);
    }
    // a worker of a stack with convolutions remakes every replica by running it once on the shared
    // arrays (replicas.ts, warm), which thread 0's steps use: so it is waited for, whatever was asked
    if ((options.waitForWorkers ?? true) || layout.mode === 'replicas') await steps.ready();
    return steps;
  }

  /**
   * Resolves once every worker is ready (start() waits for this unless told
   * not to); rejects if one could not start. Steps need not wait: a worker
   * that is not there yet leaves every chunk to thread 0, the same values.
   */
  ready(): Promise<void> {
    return this.startup.ready();
  }

  /** The shared sample order: shuffle it in place before an epoch. */
  get order(): Uint32Array {
    return this.s.order;
  }

  /**
   * One SGD step on the samples order[start .. start + m − 1]. With dropout,
   * `masks` draws the step's masks first, here, in one thread's order. With
   * augmentation, `epoch` is what the distortions draw by; null gathers the
   * images undistorted.
   */
  step(start: number, m: number, eta: number, masks: Rng | null = null, epoch: number | null = 0): void {
    if (!this.ms.includes(m)) throw new RangeError(`threads: a mini-batch of ${m}, but the threads were started for ${this.ms.join(', ')}; pass every size the run uses to ThreadedSteps.start`);
    if (this.net.drops) {
      if (!masks) throw new Error('threads: a network with dropout needs the generator its masks come from');
      this.split.drawMasks(m, masks);
    }
    const n = this.split.net.optimizer.steps + 1;
    // until the workers are ready, an adaptive run steps alone and the pace waits (it would time thread 0 alone as both)
    const timed = this.adaptive && this.startup.done();
    const together = !this.adaptive || (timed && this.pace.together);
    const t0 = performance.now();
    if (together) {
      const c = this.s.control;
      const g = (Atomics.load(c, GENERATION) + 1) | 0;
      const { columns, rows } = this.split.chunks;
      c[M] = m;
      c[START] = start;
      c[STEPS] = n;
      c[EPOCH] = epoch ?? -1;
      this.s.floats[ETA] = eta;
      openPhases(c, g, [[CLAIM_A, DONE_A, columns, true], [CLAIM_B, DONE_B, rows, true], [CLAIM_E, DONE_E, this.T, false]]);
      this.go(g, STEP);
      doStep(this.split, this.s, 0, g);
      if (this.balance) for (let p = 0; p < 2; p++) this.balance.record(p, this.s.phases[p]);
    } else {
      this.alone(start, m, eta, n, epoch);
    }
    stepNumber(this.split, n); // had the workers stepped every row, thread 0's optimizer still counts the step
    if (timed) this.pace.record(m, performance.now() - t0);
    if (this.adaptive && !timed) this.ranStarting++;
    else this.ran[+together]++;
  }

  /** The step's chunks, every one on thread 0 (the workers sleep): what a step together computes, value for value. */
  private alone(start: number, m: number, eta: number, n: number, epoch: number | null): void {
    const { split, s } = this;
    const { columns, rows } = split.soloChunks;
    const cuts = (C: number, p: number) => (C === 1 ? WHOLE : s.phases[p].cuts);
    for (let k = 0; k < columns; k++) split.columns(m, k, columns, s.set, s.order, start, epoch, cuts(columns, 0));
    stepNumber(split, n);
    for (let k = 0; k < rows; k++) split.rows(m, k, rows, eta, cuts(rows, 1));
    s.control[RAN] += columns + rows;
  }

  /** How many samples of the evaluation set given to start() the network gets right, shared among the threads. */
  evaluate(): number {
    if (!this.s.evaluation) throw new Error('threads: no evaluation set was given to ThreadedSteps.start');
    const c = this.s.control;
    if (!this.adaptive || (this.startup.done() && this.pace.together)) {
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

  /** Steps so far: [alone, together], as the pace chose; and those thread 0 ran alone while workers were still starting. */
  private readonly ran = [0, 0];
  private ranStarting = 0;

  /** How many steps so far ran on every thread (together), on thread 0 alone, and on thread 0 before every worker was ready (starting). */
  stepsRun(): { together: number; alone: number; starting: number } {
    return { together: this.ran[1], alone: this.ran[0], starting: this.ranStarting };
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

