// nn/model-meta.ts: a model file's "meta": how the model was trained, enough to
// report it and to resume the run exactly. Every field is checked for type and
// range when a file is read, and the object is built anew, so nothing unchecked
// from a file reaches the trainer.

import { AUGMENT_DEFAULTS, type AugmentSettings } from '../data/augment.js';
import type { RngState } from '../rng.js';
import { OPTIMIZER_NAMES, type OptimizerName } from './optimizers/index.js';
import { LR_SCHEDULES, type LrSchedule } from './schedules.js';
import { preview } from './preview.js';

/** One evaluated epoch of a training run. */
export interface EpochRecord {
  epoch: number;
  correct: number;
  total: number;
}

/** How a model was trained: enough to report it and to resume the run exactly. */
export interface TrainingMeta {
  seed: number;
  /** The run's planned epoch count and how many are done. */
  epochs: number;
  epochsCompleted: number;
  miniBatchSize: number;
  eta: number;
  shuffle: boolean;
  trainSize: number;
  /** Which set `history` counts: 'validation' or 'test'. */
  evaluatedOn: 'validation' | 'test';
  history: EpochRecord[];
  best: EpochRecord | null;
  /** The Rng state after the last completed epoch, so a resumed run shuffles as the whole run would. */
  rngState: RngState;
  /** Where the training data came from. */
  data: string;
  /** The kernels that trained it ('ts' or 'wasm'): the same seed gives the same weights on the same backend. */
  backend?: string;
  /** Chapter 3's settings, when used. */
  init?: 'large' | 'default' | 'network3' | 'he';
  lambda?: number;
  momentum?: number;
  /** The update rule, when not network2.py's SGD (momentum with μ > 0); the learning-rate schedule, when not constant. */
  optimizer?: OptimizerName;
  schedule?: LrSchedule;
  dropout?: number;
  /** Label smoothing ε of the softmax targets, when above 0 (--label-smoothing). */
  labelSmoothing?: number;
  /** Trained on the expanded set (each image and its four one-pixel shifts). */
  expand?: boolean;
  /** Trained with a redrawn copy of each training image too (data/redrawn.ts; --redrawn). */
  redrawn?: boolean;
  /** With redrawn: each image was thinned and traced enlarged this many times (--trace-scale; absent: 1). */
  traceScale?: number;
  /** With redrawn: loops filled in were traced by their outline (--outline-blobs; absent: false). */
  outlineBlobs?: boolean;
  /** The distortions the training images were drawn with, if any (data/augment.ts; --augment). */
  augment?: AugmentSettings;
  /** How many of `epochs` are clean ones at the end, on the images undistorted, and their first η, when any (--clean-epochs, --clean-eta). */
  cleanEpochs?: number;
  cleanEta?: number;
  /** The preset the run came from, if any. */
  preset?: string;
}

/** Upper ends of a run's settings: a file beyond them is damaged or hostile, not a run. */
export const META_LIMITS = { epochs: 100_000, miniBatchSize: 60_000, trainSize: 10_000_000, seed: 0xffffffff } as const;

/** A model file's training metadata, each field checked for type and range, built anew (nothing unchecked passes). */
export function checkMeta(v: unknown, fail: (what: string) => never): TrainingMeta {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('"meta" must be an object');
  const m = v as Record<string, unknown>;
  const int = (k: string, min: number, max: number): number => {
    const x = m[k];
    if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) fail(`meta.${k} must be an integer from ${min} to ${max}; got ${preview(x)}`);
    return x as number;
  };
  const num = (k: string, min: number, below: number, optional: boolean): number | undefined => {
    const x = m[k];
    if (x === undefined && optional) return undefined;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x >= below) {
      fail(`meta.${k} must be a number ≥ ${min}${below === Infinity ? '' : ` and below ${below}`}; got ${preview(x)}`);
    }
    return x as number;
  };
  const seed = int('seed', 0, META_LIMITS.seed);
  const epochs = int('epochs', 1, META_LIMITS.epochs);
  const epochsCompleted = int('epochsCompleted', 0, epochs);
  const miniBatchSize = int('miniBatchSize', 1, META_LIMITS.miniBatchSize);
  const trainSize = int('trainSize', 1, META_LIMITS.trainSize);
  const eta = num('eta', 0, Infinity, false)!;
  if (!(eta > 0)) fail(`meta.eta must be a positive number; got ${preview(m.eta)}`);
  if (typeof m.shuffle !== 'boolean') fail('meta.shuffle must be true or false');
  if (m.evaluatedOn !== 'validation' && m.evaluatedOn !== 'test') fail('meta.evaluatedOn must be "validation" or "test"');
  const state = m.rngState;
  if (
    !Array.isArray(state) || state.length !== 4 ||
    !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || state.every((w) => w === 0)
  ) {
    fail('meta.rngState must be four 32-bit unsigned integers, not all zero');
  }
  const record = (e: unknown, where: string): EpochRecord => {
    const r = e as Record<string, unknown>;
    if (
      typeof e !== 'object' || e === null || Array.isArray(e) ||
      !Number.isInteger(r.epoch) || (r.epoch as number) < 1 || (r.epoch as number) > epochs ||
      !Number.isInteger(r.total) || (r.total as number) < 1 || (r.total as number) > META_LIMITS.trainSize ||
      !Number.isInteger(r.correct) || (r.correct as number) < 0 || (r.correct as number) > (r.total as number)
    ) {
      fail(`${where} must be {"epoch": 1 to ${epochs}, "correct": 0 to total, "total": ≥ 1}; got ${typeof e === 'object' && e !== null ? `epoch ${preview(r.epoch)}, correct ${preview(r.correct)}, total ${preview(r.total)}` : preview(e)}`);
    }
    return { epoch: r.epoch as number, correct: r.correct as number, total: r.total as number };
  };
  if (!Array.isArray(m.history)) fail('meta.history must be a list');
  const rawHistory = m.history as unknown[];
  if (rawHistory.length > epochs) fail(`meta.history has ${rawHistory.length} entries, more than the run's ${epochs} epochs`);
  const history = rawHistory.map((e, i) => record(e, `meta.history[${i}]`));
  const best = m.best === undefined || m.best === null ? null : record(m.best, 'meta.best');
  if (typeof m.data !== 'string') fail('meta.data must be a string');
  const meta: TrainingMeta = {
    seed, epochs, epochsCompleted, miniBatchSize, eta, shuffle: m.shuffle as boolean, trainSize,
    evaluatedOn: m.evaluatedOn as 'validation' | 'test', history, best, rngState: [...(state as number[])] as RngState, data: m.data as string,
  };
  if (m.backend !== undefined) {
    if (typeof m.backend !== 'string') fail(`meta.backend must be a string such as "wasm"; got ${preview(m.backend)}`);
    meta.backend = m.backend as string;
  }
  if (m.init !== undefined) {
    if (m.init !== 'large' && m.init !== 'default' && m.init !== 'network3' && m.init !== 'he') fail(`meta.init must be "large", "default", "network3" or "he"; got ${preview(m.init)}`);
    meta.init = m.init as TrainingMeta['init'];
  }
  const lambda = num('lambda', 0, Infinity, true);
  if (lambda !== undefined) meta.lambda = lambda;
  const momentum = num('momentum', 0, 1, true);
  if (momentum !== undefined) meta.momentum = momentum;
  if (m.optimizer !== undefined) {
    if (!OPTIMIZER_NAMES.includes(m.optimizer as OptimizerName)) fail(`meta.optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${preview(m.optimizer)}`);
    meta.optimizer = m.optimizer as OptimizerName;
  }
  if (m.schedule !== undefined) {
    if (!LR_SCHEDULES.includes(m.schedule as LrSchedule)) fail(`meta.schedule must be one of ${LR_SCHEDULES.join(', ')}; got ${preview(m.schedule)}`);
    meta.schedule = m.schedule as LrSchedule;
  }
  const dropout = num('dropout', 0, 1, true);
  if (dropout !== undefined) meta.dropout = dropout;
  const labelSmoothing = num('labelSmoothing', 0, 1, true);
  if (labelSmoothing !== undefined) meta.labelSmoothing = labelSmoothing;
  if (m.expand !== undefined) {
    if (typeof m.expand !== 'boolean') fail('meta.expand must be true or false');
    meta.expand = m.expand as boolean;
  }
  if (m.redrawn !== undefined) {
    if (typeof m.redrawn !== 'boolean') fail('meta.redrawn must be true or false');
    meta.redrawn = m.redrawn as boolean;
  }
  if (m.traceScale !== undefined) meta.traceScale = int('traceScale', 1, 8);
  if (m.outlineBlobs !== undefined) {
    if (typeof m.outlineBlobs !== 'boolean') fail('meta.outlineBlobs must be true or false');
    meta.outlineBlobs = m.outlineBlobs as boolean;
  }
  if (m.augment !== undefined) {
    const a = m.augment as Record<string, unknown>;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) fail('meta.augment must be an object of distortion settings');
    const settings = {} as AugmentSettings;
    for (const k of Object.keys(AUGMENT_DEFAULTS) as (keyof AugmentSettings)[]) {
      const x = a[k];
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 360) fail(`meta.augment.${k} must be a number from 0 to 360; got ${preview(x)}`);
      settings[k] = x as number;
    }
    meta.augment = settings;
  }
  if (m.cleanEpochs !== undefined) {
    meta.cleanEpochs = int('cleanEpochs', 0, epochs - 1);
    const cleanEta = num('cleanEta', 0, Infinity, false)!;
    if (!(cleanEta > 0)) fail(`meta.cleanEta must be a positive number; got ${preview(m.cleanEta)}`);
    meta.cleanEta = cleanEta;
  }
  if (m.preset !== undefined) {
    if (typeof m.preset !== 'string') fail(`meta.preset must be a preset's name; got ${preview(m.preset)}`);
    meta.preset = m.preset as string;
  }
  return meta;
}
