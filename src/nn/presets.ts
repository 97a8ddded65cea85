// nn/presets.ts: the book's runs, one name each, with the accuracy the book
// reports, so `npm run train -- --preset NAME` repeats a run and prints the
// book's figure beside its own. Settings from chapters 1 and 3 (network.py,
// network2.py): sizes, cost, initialisation, epochs, mini-batch, η, λ, and
// the set the book evaluated on. Beyond the book, `fast` and `best`: modern
// recipes (Adam, a one-cycle schedule, smoothed labels; `best` wider, on
// distorted images) with what each aims for instead.

import type { OptimizerName } from './optimizers/index.js';
import type { LrSchedule } from './schedules.js';

export type CostName = 'quadratic' | 'cross-entropy' | 'log-likelihood';

export type Preset = FcPreset | StackPreset;

export interface FcPreset {
  name: string;
  about: string;
  sizes: number[];
  cost: CostName;
  activation: 'sigmoid' | 'tanh' | 'relu';
  init: 'large' | 'default';
  epochs: number;
  miniBatchSize: number;
  eta: number;
  lambda: number;
  evalSet: 'test' | 'validation';
  /** Train on the first N training images only (the book's overfitting runs). */
  trainSize?: number;
  /** What the book reports for this run (best epoch), in percent, and on which set; `words` when the book gives no exact figure. */
  book: { accuracy: number; on: 'test' | 'validation'; chapter: number; words?: string };
  aim?: undefined;
}

/**
 * A chapter-6 run (network3.py): a layer stack. The book's λ is network3.py's,
 * whose L2 term is divided by the number of mini-batches rather than the
 * number of images; in network2.py's units, which digitnet uses, that is
 * λ × the mini-batch size (0.1 there is 1.0 here).
 */
export interface StackPreset {
  name: string;
  about: string;
  layers: string;
  epochs: number;
  miniBatchSize: number;
  eta: number;
  lambda: number;
  expand?: boolean;
  /** network3.py's initialisation (LayerStack.init) instead of the default. */
  stackInit?: 'network3' | 'he';
  /** Beyond the book: the update rule and η's schedule, and distorted training images (--augment). */
  optimizer?: OptimizerName;
  schedule?: LrSchedule;
  augment?: boolean;
  /** Epochs after `epochs` on the images undistorted, and their first η (--clean-epochs, --clean-eta). */
  cleanEpochs?: number;
  cleanEta?: number;
  /** Label smoothing ε of the softmax targets (--label-smoothing; absent: 0). */
  labelSmoothing?: number;
  evalSet: 'test' | 'validation';
  /** Train on the first N images of the training file; above 50,000 the validation images follow (with evalSet 'test' only). */
  trainSize?: number;
  /** What the book reports for the run; a preset beyond the book says what it aims for instead. */
  book?: { accuracy: number; on: 'test' | 'validation'; chapter: number; words?: string };
  aim?: string;
}

export const isStackPreset = (p: Preset | undefined): p is StackPreset => p !== undefined && 'layers' in p;

/** The book's figure as it says it: "96.49%", or its words when it gives no number. */
export const bookFigure = (p: Preset): string => (p.book ? p.book.words ?? `${p.book.accuracy}%` : '');

/** What a preset's run is measured against, in words: the book's figure, or its aim beyond the book. */
export const presetTarget = (p: Preset): string =>
  p.book ? `the book reports ${bookFigure(p)} on ${p.book.on} (chapter ${p.book.chapter})` : `it aims for ${p.aim}`;

// network3.py's runs: mini-batch 10, 60 epochs, η = 0.1, tested on the test set
const ch6 = { epochs: 60, miniBatchSize: 10, eta: 0.1, lambda: 0, evalSet: 'test' } as const;

const common = { activation: 'sigmoid', miniBatchSize: 10, lambda: 0, init: 'large' } as const;

export const PRESETS: Record<string, Preset> = {
  'ch1-30': {
    ...common, name: 'ch1-30', about: "chapter 1's network.py run: 784-30-10, quadratic cost",
    sizes: [784, 30, 10], cost: 'quadratic', epochs: 30, eta: 3.0, evalSet: 'test',
    book: { accuracy: 95.42, on: 'test', chapter: 1 },
  },
  'ch1-100': {
    ...common, name: 'ch1-100', about: 'chapter 1 with 100 hidden neurons',
    sizes: [784, 100, 10], cost: 'quadratic', epochs: 30, eta: 3.0, evalSet: 'test',
    book: { accuracy: 96.59, on: 'test', chapter: 1 },
  },
  'ch3-ce-30': {
    ...common, name: 'ch3-ce-30', about: 'chapter 3: the cross-entropy cost, 784-30-10, η = 0.5',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 30, eta: 0.5, evalSet: 'test',
    book: { accuracy: 95.49, on: 'test', chapter: 3 },
  },
  'ch3-ce-100': {
    ...common, name: 'ch3-ce-100', about: 'chapter 3: cross-entropy, 784-100-10, η = 0.5',
    sizes: [784, 100, 10], cost: 'cross-entropy', epochs: 30, eta: 0.5, evalSet: 'test',
    book: { accuracy: 96.82, on: 'test', chapter: 3 },
  },
  'ch3-overfit': {
    ...common, name: 'ch3-overfit', about: 'chapter 3 overfitting: 784-30-10, cross-entropy, η = 0.5, 1,000 training images, 400 epochs',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 400, eta: 0.5, evalSet: 'test', trainSize: 1000,
    book: { accuracy: 82.27, on: 'test', chapter: 3 },
  },
  'ch3-overfit-l2': {
    ...common, name: 'ch3-overfit-l2', about: 'chapter 3: the overfitting run regularised, λ = 0.1',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 400, eta: 0.5, lambda: 0.1, evalSet: 'test', trainSize: 1000,
    book: { accuracy: 87.1, on: 'test', chapter: 3 },
  },
  'ch3-l2-100': {
    ...common, name: 'ch3-l2-100', about: 'chapter 3: cross-entropy with L2 regularisation λ = 5.0, η = 0.1, 60 epochs',
    sizes: [784, 100, 10], cost: 'cross-entropy', epochs: 60, eta: 0.1, lambda: 5.0, evalSet: 'validation',
    book: { accuracy: 98.04, on: 'validation', chapter: 3 },
  },
  'ch3-l2-30': {
    ...common, name: 'ch3-l2-30', about: 'chapter 3: 784-30-10, cross-entropy, L2 λ = 5.0 on all 50,000 images, η = 0.5',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 30, eta: 0.5, lambda: 5.0, evalSet: 'test',
    book: { accuracy: 96.49, on: 'test', chapter: 3 },
  },
  'ch3-l2-100-30': {
    ...common, name: 'ch3-l2-100-30', about: 'chapter 3: 784-100-10, cross-entropy, L2 λ = 5.0, η = 0.5, 30 epochs',
    sizes: [784, 100, 10], cost: 'cross-entropy', epochs: 30, eta: 0.5, lambda: 5.0, evalSet: 'validation',
    book: { accuracy: 97.92, on: 'validation', chapter: 3 },
  },
  'ch3-init-large': {
    ...common, name: 'ch3-init-large', about: 'chapter 3, weight initialisation: the old N(0, 1) weights, 784-30-10, cross-entropy, λ = 5.0, η = 0.1',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 30, eta: 0.1, lambda: 5.0, evalSet: 'validation',
    book: { accuracy: 96, on: 'validation', chapter: 3, words: 'somewhat over 96%, reached more slowly than ch3-init' },
  },
  'ch3-init': {
    ...common, init: 'default', name: 'ch3-init', about: 'chapter 3, weight initialisation: N(0, 1/n_in) weights, otherwise as ch3-init-large',
    sizes: [784, 30, 10], cost: 'cross-entropy', epochs: 30, eta: 0.1, lambda: 5.0, evalSet: 'validation',
    book: { accuracy: 96, on: 'validation', chapter: 3, words: 'somewhat over 96%, the same as ch3-init-large but much sooner' },
  },
  'ch6-fc': {
    ...ch6, name: 'ch6-fc', about: "chapter 6's baseline in network3.py: one hidden layer of 100 sigmoid neurons, softmax output",
    layers: 'fc 100 sigmoid, softmax 10',
    book: { accuracy: 97.8, on: 'test', chapter: 6 },
  },
  'ch6-conv1': {
    ...ch6, name: 'ch6-conv1', about: 'chapter 6: one convolutional-pooling layer (20 maps, 5×5), then 100 sigmoid neurons, softmax',
    layers: 'conv 20 5x5 sigmoid, pool 2, fc 100 sigmoid, softmax 10',
    book: { accuracy: 98.78, on: 'test', chapter: 6 },
  },
  'ch6-conv2': {
    ...ch6, name: 'ch6-conv2', about: 'chapter 6: two convolutional-pooling layers (20 and 40 maps), 100 sigmoid neurons, softmax',
    layers: 'conv 20 5x5 sigmoid, pool 2, conv 40 5x5 sigmoid, pool 2, fc 100 sigmoid, softmax 10',
    book: { accuracy: 99.06, on: 'test', chapter: 6 },
  },
  'ch6-relu': {
    ...ch6, name: 'ch6-relu', about: 'chapter 6: ch6-conv2 with rectified linear units, η = 0.03, λ = 0.1 (network3.py units)',
    layers: 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10', eta: 0.03, lambda: 1.0,
    book: { accuracy: 99.23, on: 'test', chapter: 6 },
  },
  'ch6-expanded': {
    ...ch6, name: 'ch6-expanded', about: 'chapter 6: ch6-relu on the expanded training set (250,000 images)',
    layers: 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10', eta: 0.03, lambda: 1.0, expand: true,
    book: { accuracy: 99.37, on: 'test', chapter: 6 },
  },
  'ch6-dropout': {
    ...ch6, name: 'ch6-dropout', about: 'chapter 6: expanded data, two fully-connected layers of 1,000 ReLUs, dropout 0.5, no L2, 40 epochs',
    layers: 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, dropout 0.5, fc 1000 relu, dropout 0.5, fc 1000 relu, dropout 0.5, softmax 10',
    // the book's call has no lmbda: net.SGD(expanded_training_data, 40, mini_batch_size, 0.03, validation_data, test_data);
    // with the default initialisation its second convolution's units die in the first epoch (measured: 10.1%, chance)
    eta: 0.03, lambda: 0, expand: true, epochs: 40, stackInit: 'network3',
    book: { accuracy: 99.6, on: 'test', chapter: 6 },
  },
  fast: {
    name: 'fast', about: 'beyond the book: ch6-relu\'s layers, Adam with a one-cycle schedule, labels smoothed by 0.1, mini-batch 64, 3 epochs',
    layers: 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10',
    optimizer: 'adam', schedule: 'one-cycle', eta: 0.004, lambda: 0, labelSmoothing: 0.1, miniBatchSize: 64, epochs: 3, evalSet: 'test',
    aim: '99% on test within a minute on 2 cores',
  },
  best: {
    name: 'best', about: 'beyond the book: wider layers (32 and 64 maps, fc 256), Adam with a one-cycle schedule over 12 epochs of distorted images, then one epoch of the images as they are (Adam afresh, η from 0.0003 down to 0), labels smoothed by 0.1, mini-batch 64',
    layers: 'conv 32 5x5 relu, pool 2, conv 64 5x5 relu, pool 2, fc 256 relu, softmax 10',
    optimizer: 'adam', schedule: 'one-cycle', eta: 0.004, lambda: 0, labelSmoothing: 0.1, miniBatchSize: 64, epochs: 12, augment: true, cleanEpochs: 1, cleanEta: 0.0003, evalSet: 'test',
    aim: '99.6% on test within 15 minutes on 2 cores',
  },
};
