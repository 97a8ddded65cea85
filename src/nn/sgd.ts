// nn/sgd.ts: mini-batch stochastic gradient descent, network.py's SGD().
// Each epoch shuffles the sample order with the seeded Rng, cuts it into
// mini-batches, and takes one step per mini-batch (the network's optimizer:
// SGD, momentum, Adam, …, nn/optimizers/); after each epoch
// the network is evaluated and the caller hears about it (to print, save a
// checkpoint, or stop). Knows no files and no screens.

import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import { Augmenter, type AugmentSettings } from '../data/augment.js';
import type { Rng } from '../rng.js';
import { Network, type ShapeTrace } from './network.js';
import type { LayerStack } from './stack.js';
import type { ThreadedSteps } from './parallel/threads.js';
import { makeOptimizer, sameSettings, type OptimizerSettings } from './optimizers/index.js';
import { etaAt, type LrSchedule } from './schedules.js';
import type { Matrix } from '../tensor/matrix.js';

export interface SgdOptions {
  /** The run's total epoch count (epochs are numbered from 1). */
  epochs: number;
  miniBatchSize: number;
  /** The learning rate η. */
  eta: number;
  /** Draws the shuffles; its state after an epoch is what a checkpoint keeps. */
  rng: Rng;
  /** Shuffle the training samples before every epoch (network.py does). Default true. */
  shuffle?: boolean;
  /** Start at this epoch, when resuming a run (default 1). */
  firstEpoch?: number;
  /** Evaluated after each epoch, as network.py's test_data. */
  evaluation?: LabelledImages;
  /** After each mini-batch: samples done so far in this epoch. */
  onProgress?: (epoch: number, done: number, total: number) => void;
  /** After each epoch; return false to stop training. */
  onEpoch?: (result: EpochResult) => boolean | void;
  /** Traces the shapes of the first mini-batch (--debug-shapes). */
  trace?: ShapeTrace;
  /** Share every step among threads (nn/parallel/threads.ts); the weights come out the same. */
  threads?: ThreadedSteps;
  /** λ for L2 regularisation (chapter 3); the decay uses n = the training set's size. */
  lambda?: number;
  /** μ for momentum (0: plain SGD). */
  momentum?: number;
  /** The update rule and Adam's β₁, β₂, ε (default: 'sgd', or 'momentum' when μ > 0); λ, n and μ come from the fields above. */
  optimizer?: Partial<Omit<OptimizerSettings, 'lambda' | 'n' | 'momentum'>>;
  /** η per mini-batch (nn/schedules.ts); default constant. */
  schedule?: LrSchedule;
  /** Dropout probability p for the hidden units while training (0: none); the masks are drawn from `rng`. */
  dropout?: number;
  /** What to measure after each epoch, as network2.py's monitor_* flags (evaluation accuracy is always measured). */
  monitor?: { trainCost?: boolean; trainAccuracy?: boolean; evalCost?: boolean };
  /** Halve η after this many epochs without a better evaluation accuracy; stop once η is η₀/128. */
  etaSchedule?: number;
  /** Stop after this many epochs without a better evaluation accuracy. */
  earlyStop?: number;
  /** Label smoothing ε for a softmax output (LayerStack.labelSmoothing; default 0); with threads, they must have been started with the same. */
  labelSmoothing?: number;
  /** Distort each training image on the fly (data/augment.ts); with threads, they must have been started with the same. */
  augment?: { settings: AugmentSettings; seed: number };
  /**
   * The last `epochs` of the run on the training images as they are, after
   * the distorted ones (--clean-epochs): the optimizer starts afresh and η
   * falls from `eta` to 0 on a cosine over those epochs' steps; the schedule
   * before runs over the epochs before.
   */
  clean?: { epochs: number; eta: number };
}

export interface EpochResult {
  epoch: number;
  /** The learning rate this epoch trained with. */
  eta: number;
  /** Monitored, if asked for: costs include the L2 term, as network2.py's total_cost. */
  trainCost?: number;
  trainCorrect?: number;
  evalCost?: number;
  /** Why training stopped after this epoch, if it did before the last. */
  stopped?: string;
  /** Correctly classified evaluation samples, if an evaluation set was given. */
  correct: number | null;
  total: number | null;
  seconds: number;
  /** False when a weight or bias became NaN or infinite: training diverged and stops. */
  finite: boolean;
}

/**
 * The learning-rate schedule of the book's chapter 3 exercise: halve η each
 * time the evaluation accuracy has not improved for `patience` epochs, and
 * stop once η has come down to η₀/128.
 */
export class EtaSchedule {
  eta: number;
  private best = -Infinity;
  private since = 0;

  constructor(readonly eta0: number, readonly patience: number) {
    this.eta = eta0;
  }

  /** After an epoch: its accuracy; returns false when training should stop. */
  update(accuracy: number): boolean {
    if (accuracy > this.best) {
      this.best = accuracy;
      this.since = 0;
      return true;
    }
    this.since++;
    if (this.since >= this.patience) {
      this.eta /= 2;
      this.since = 0;
    }
    return this.eta > this.eta0 / 128;
  }
}

/** Early stopping: false once `patience` epochs have passed without a better accuracy. */
export class EarlyStop {
  private best = -Infinity;
  private since = 0;

  constructor(readonly patience: number) {}

  update(accuracy: number): boolean {
    if (accuracy > this.best) {
      this.best = accuracy;
      this.since = 0;
    } else {
      this.since++;
    }
    return this.since < this.patience;
  }
}

export function checkSgdOptions(o: Pick<SgdOptions, 'epochs' | 'miniBatchSize' | 'eta'>): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new RangeError(`epochs must be a positive integer; got ${o.epochs}`);
  if (!Number.isInteger(o.miniBatchSize) || o.miniBatchSize < 1) {
    throw new RangeError(`mini-batch size must be a positive integer; got ${o.miniBatchSize}`);
  }
  if (!(o.eta > 0) || !Number.isFinite(o.eta)) throw new RangeError(`eta must be a positive number; got ${o.eta}`);
}

/** The clean epochs' settings, checked against the run's. */
export function checkClean(clean: { epochs: number; eta: number }, epochs: number, augment: boolean): void {
  if (!Number.isInteger(clean.epochs) || clean.epochs < 0 || clean.epochs >= epochs) {
    throw new RangeError(`clean epochs are the last of the run's ${epochs}, after at least one distorted; got ${clean.epochs}`);
  }
  if (!(clean.eta > 0) || !Number.isFinite(clean.eta)) throw new RangeError(`the clean epochs' eta must be a positive number; got ${clean.eta}`);
  if (clean.epochs && !augment) throw new RangeError('clean epochs follow distorted ones; without augmentation every epoch is on the images as they are');
}

/** --debug-shapes with replicas on threads: the shapes of one step on x and y (forward, backprop), printed, with no update; the threads then take the step. */
function traceWithoutStep(net: LayerStack, x: Matrix, y: Matrix, trace: ShapeTrace): void {
  // no masks drawn: the run's generator must draw exactly what the threads' steps draw
  const b = net.whole(x.cols);
  net.untracked(() => net.back(net.run(x.data, b, true, null, trace), y.data, b, true, trace));
  trace(`${net.optimizer.label}  ${net.optimizer.text()}, m = ${x.cols}: ${net.params.length} parameters in one buffer; each thread steps its part of the samples, then of the parameters`);
}

/** Trains `net` in place; returns one result per epoch run. */
export function sgd(net: LayerStack, training: LabelledImages, options: SgdOptions): EpochResult[] {
  checkSgdOptions(options);
  const { epochs, miniBatchSize, rng, evaluation } = options;
  let eta = options.eta;
  const lambda = options.lambda ?? 0;
  const momentum = options.momentum ?? 0;
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout must be from 0 up to (not including) 1; got ${dropout}`);
  // the Network's dropout is an option (chapter 3's --dropout); a stack from a description has dropout layers
  const network = net instanceof Network ? net : null;
  if (!network && dropout) throw new RangeError("sgd: a layer stack's dropout is a layer ('dropout 0.5' in its description), not an option");
  if (options.threads && network && options.threads.dropout !== dropout) {
    throw new RangeError('sgd: the threads were started with another dropout; set net.dropout before ThreadedSteps.start');
  }
  const shuffle = options.shuffle ?? true;
  const n = training.count;
  if (n < 1) throw new RangeError('sgd: the training set is empty');
  if (training.rows * training.cols !== net.inputSize) {
    throw new RangeError(`sgd: images have ${training.rows * training.cols} pixels but the network takes ${net.inputSize} inputs`);
  }
  const classes = net.classes;
  // the update rule: kept if the network already has it (a resumed run's state, or the one the threads share)
  const rule = makeOptimizer({ ...options.optimizer, lambda, n, momentum });
  if (!sameSettings(net.optimizer.settings, rule.settings)) net.optimizer = rule;
  const schedule = options.schedule ?? 'constant';
  if (schedule !== 'constant' && options.etaSchedule) throw new RangeError(`sgd: --eta-schedule halves η by accuracy; it does not go with the ${schedule} schedule`);
  // a stack's dropout layers draw from the run's generator; the Network's hidden-layer dropout only when asked for
  if (network) network.dropout = dropout;
  net.dropoutRng = network && !dropout ? null : rng;
  net.labelSmoothing = options.labelSmoothing ?? 0;
  if (options.threads && options.threads.labelSmoothing !== net.labelSmoothing) {
    throw new RangeError('sgd: the threads were started with another label smoothing; set net.labelSmoothing before ThreadedSteps.start');
  }
  const halving = options.etaSchedule ? new EtaSchedule(eta, options.etaSchedule) : null;
  const early = options.earlyStop ? new EarlyStop(options.earlyStop) : null;
  const l2 = (count: number) => {
    if (!lambda) return 0;
    return 0.5 * (lambda / count) * net.weightSquares();
  };
  const threads = options.threads;
  if (threads && threads.order.length !== n) throw new RangeError('sgd: the threads were started for another training set');
  if (threads && !threads.stepsWith(net.optimizer.settings)) {
    throw new RangeError('sgd: the threads were started with another update rule; set net.optimizer (with λ, n, μ) before ThreadedSteps.start');
  }
  const augment = options.augment ? new Augmenter(options.augment.settings, options.augment.seed, training.rows, training.cols) : null;
  if (threads && !threads.augmentsWith(options.augment ?? null)) {
    throw new RangeError('sgd: the threads were started with other --augment settings; pass the same augment to ThreadedSteps.start');
  }
  const cleanEpochs = options.clean?.epochs ?? 0;
  if (cleanEpochs) checkClean(options.clean!, epochs, Boolean(augment));
  const cleanEta = options.clean?.eta ?? 0;
  const distorted = epochs - cleanEpochs;
  const perEpoch = Math.ceil(n / miniBatchSize);
  const totalSteps = perEpoch * distorted;
  const cleanSteps = perEpoch * cleanEpochs;
  const order = threads?.order ?? new Uint32Array(n);
  const results: EpochResult[] = [];
  let trace = options.trace;

  for (let epoch = options.firstEpoch ?? 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    // Every epoch starts from the natural order, so a run resumed from a
    // checkpoint (which keeps the Rng state) shuffles exactly as it would have.
    for (let i = 0; i < n; i++) order[i] = i;
    if (shuffle) rng.shuffle(order);

    // a clean epoch: the images undistorted (no epoch to draw by), η on its own cosine, the optimizer afresh at the first
    const clean = epoch > distorted;
    if (epoch === distorted + 1) net.optimizer.reset();
    const draws = clean ? null : epoch;
    const etaOf = (k: number) => clean
      ? etaAt('cosine', cleanEta, (epoch - distorted - 1) * perEpoch + k, cleanSteps)
      : schedule === 'constant' ? eta : etaAt(schedule, eta, (epoch - 1) * perEpoch + k, totalSteps);
    const epochEta = etaOf(0);
    for (let start = 0, k = 0; start < n; start += miniBatchSize, k++) {
      const m = Math.min(miniBatchSize, n - start); // the last mini-batch may be smaller
      const stepEta = etaOf(k);
      if (threads && trace && !net.fullyConnected) {
        // replicas on threads round differently from one thread, so the shapes are traced on a pass that changes nothing, then the threads step
        const x = net.input(m);
        const y = net.target(m);
        gatherBatch(x.data, y.data, classes, training, order, start, m);
        if (draws !== null) augment?.apply(x.data, training, order, start, m, draws);
        traceWithoutStep(net, x, y, trace);
        trace = undefined;
        threads.step(start, m, stepEta, net.dropoutRng, draws);
      } else if (threads && !trace) {
        threads.step(start, m, stepEta, net.dropoutRng, draws);
      } else {
        const x = net.input(m);
        const y = net.target(m);
        gatherBatch(x.data, y.data, classes, training, order, start, m);
        if (draws !== null) augment?.apply(x.data, training, order, start, m, draws);
        net.updateMiniBatch(x, y, stepEta, trace);
        trace = undefined;
      }
      options.onProgress?.(epoch, start + m, n);
    }

    const finite = net.isFinite();
    const correct = evaluation && finite ? (threads?.evaluates(evaluation) ? threads.evaluate() : net.evaluate(evaluation)) : null;
    const result: EpochResult = {
      epoch,
      eta: epochEta,
      correct,
      total: evaluation ? evaluation.count : null,
      seconds: (performance.now() - started) / 1000,
      finite,
    };
    const monitor = options.monitor ?? {};
    if (finite && monitor.trainCost) result.trainCost = net.totalCost(training) + l2(training.count);
    if (finite && monitor.trainAccuracy) result.trainCorrect = net.evaluate(training);
    if (finite && monitor.evalCost && evaluation) result.evalCost = net.totalCost(evaluation) + l2(evaluation.count);
    let go = true;
    if (finite && correct !== null && halving) {
      go = halving.update(correct);
      eta = halving.eta;
      if (!go) result.stopped = `η came down to η₀/128 (${halving.eta}), halved after every ${halving.patience} epochs without a better accuracy`;
    }
    if (go && finite && correct !== null && early && !early.update(correct)) {
      go = false;
      result.stopped = `no better accuracy for ${early.patience} epochs (early stopping)`;
    }
    results.push(result);
    if (options.onEpoch?.(result) === false || !finite || !go) break;
  }
  if (network) network.dropout = 0; // back to training without it, unless asked again
  net.labelSmoothing = 0;
  net.dropoutRng = null;
  return results;
}
