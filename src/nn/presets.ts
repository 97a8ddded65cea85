// nn/presets.ts: the book's runs, one name each, with the accuracy the book
// reports, so `npm run train -- --preset NAME` repeats a run and prints the
// book's figure beside its own. Settings from chapters 1 and 3 (network.py,
// network2.py): sizes, cost, initialisation, epochs, mini-batch, η, λ, and
// the set the book evaluated on.

export type CostName = 'quadratic' | 'cross-entropy' | 'log-likelihood';

export interface Preset {
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
}

/** The book's figure as it says it: "96.49%", or its words when it gives no number. */
export const bookFigure = (p: Preset): string => p.book.words ?? `${p.book.accuracy}%`;

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
};
