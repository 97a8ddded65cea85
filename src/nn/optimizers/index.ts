// nn/optimizers/index.ts: the update rules by name (`--optimizer`). Adding one:
// its file here, extending Optimizer, and its line in OPTIMIZERS.

import type { Optimizer, OptimizerName, OptimizerSettings } from './optimizer.js';
import { Sgd } from './sgd.js';
import { Nesterov } from './nesterov.js';
import { Adam } from './adam.js';

export { Optimizer, type OptimizerName, type OptimizerSettings, type ParamRange, type RangeViews } from './optimizer.js';
export { Sgd, Nesterov, Adam };

export const OPTIMIZERS: Record<OptimizerName, (s: OptimizerSettings) => Optimizer> = {
  sgd: (s) => new Sgd(s),
  momentum: (s) => new Sgd(s),
  nesterov: (s) => new Nesterov(s),
  adam: (s) => new Adam(s),
  adamw: (s) => new Adam(s),
};

/** What each rule is, for --help. */
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as OptimizerName[];

/** Plain SGD, no L2: chapter 1's rule; Adam's β₁, β₂, ε as the paper's. */
export const DEFAULT_OPTIMIZER: OptimizerSettings = { name: 'sgd', lambda: 0, n: 1, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The optimizer for `settings` (missing fields from DEFAULT_OPTIMIZER), checked. */
export function makeOptimizer(settings: Partial<OptimizerSettings> = {}): Optimizer {
  const s: OptimizerSettings = { ...DEFAULT_OPTIMIZER, ...settings };
  if (!(s.name in OPTIMIZERS)) throw new RangeError(`unknown optimizer '${s.name}'; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  if (!(s.lambda >= 0) || !Number.isFinite(s.lambda)) throw new RangeError(`lambda must be ≥ 0; got ${s.lambda}`);
  if (!(s.n >= 1)) throw new RangeError(`n (the training set's size) must be ≥ 1; got ${s.n}`);
  if (!(s.momentum >= 0 && s.momentum < 1)) throw new RangeError(`momentum must be from 0 up to (not including) 1; got ${s.momentum}`);
  if ((s.name === 'adam' || s.name === 'adamw') && s.momentum) throw new RangeError(`${s.name} takes no momentum (it keeps its own averages)`);
  if (s.name === 'sgd' && s.momentum) s.name = 'momentum';
  if (!(s.beta1 >= 0 && s.beta1 < 1) || !(s.beta2 >= 0 && s.beta2 < 1)) throw new RangeError(`Adam's β₁ and β₂ must be from 0 up to 1; got ${s.beta1}, ${s.beta2}`);
  if (!(s.eps > 0)) throw new RangeError(`Adam's ε must be positive; got ${s.eps}`);
  return OPTIMIZERS[s.name](s);
}

/** Same rule, same hyper-parameters. */
export function sameSettings(a: OptimizerSettings, b: OptimizerSettings): boolean {
  return a.name === b.name && a.lambda === b.lambda && (a.lambda === 0 || a.n === b.n) && a.momentum === b.momentum &&
    a.beta1 === b.beta1 && a.beta2 === b.beta2 && a.eps === b.eps;
}
