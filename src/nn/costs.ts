// nn/costs.ts: cost functions, each a value and the output-layer error δᴸ
// (BP1), as network2.py's cost classes are. The quadratic and cross-entropy
// costs go with sigmoid outputs, the log-likelihood with a softmax output
// layer (network3.py's), where δᴸ = aᴸ − y as well.
// `a` is the network's output and `y` the desired output (one-hot), both
// L×m with one column per sample; n = L·m entries.

export interface Cost {
  /** network2.py's class name, kept in model files. */
  readonly name: 'QuadraticCost' | 'CrossEntropyCost' | 'LogLikelihoodCost';
  /** The output layer the cost needs. */
  readonly output: 'sigmoid' | 'softmax';
  /** BP1 for this cost, as the debug printout writes it. */
  readonly bp1: string;
  /** C summed over the m samples (divide by m for the mean). */
  fn(a: Float32Array, y: Float32Array, n: number): number;
  /** BP1: δᴸ = ∇ₐC ⊙ σ′(zᴸ), written into `delta` (σ′ taken from a = σ(zᴸ)). */
  delta(delta: Float32Array, a: Float32Array, y: Float32Array, n: number): void;
}

/** C = ½‖a − y‖² (chapter 1). */
export const QuadraticCost: Cost = {
  name: 'QuadraticCost',
  output: 'sigmoid',
  bp1: '(aᴸ − y) ⊙ σ′(zᴸ)',
  fn(a, y, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = a[i] - y[i];
      sum += d * d;
    }
    return 0.5 * sum;
  },
  delta(delta, a, y, n) {
    // BP1: δᴸ = (aᴸ − y) ⊙ σ′(zᴸ), with σ′(zᴸ) = aᴸ(1 − aᴸ)
    for (let i = 0; i < n; i++) {
      const ai = a[i];
      delta[i] = (ai - y[i]) * ai * (1 - ai);
    }
  },
};

/** C = −Σ [y ln a + (1 − y) ln(1 − a)] (chapter 3). */
export const CrossEntropyCost: Cost = {
  name: 'CrossEntropyCost',
  output: 'sigmoid',
  bp1: 'aᴸ − y (σ′ cancels)',
  fn(a, y, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const ai = a[i];
      const yi = y[i];
      // network2.py's np.nan_to_num: 0·ln 0 counts as 0
      if (yi !== 0) sum -= yi * Math.log(ai);
      if (yi !== 1) sum -= (1 - yi) * Math.log(1 - ai);
    }
    return Number.isNaN(sum) ? Infinity : sum;
  },
  delta(delta, a, y, n) {
    // BP1 with the cross-entropy cost: σ′ cancels, δᴸ = aᴸ − y
    for (let i = 0; i < n; i++) delta[i] = a[i] - y[i];
  },
};

/** C = −Σ ln a_y, the log of the probability the softmax gives the right class (chapter 3). */
export const LogLikelihoodCost: Cost = {
  name: 'LogLikelihoodCost',
  output: 'softmax',
  bp1: 'aᴸ − y (softmax with log-likelihood)',
  fn(a, y, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) if (y[i] !== 0) sum -= y[i] * Math.log(a[i]);
    return sum;
  },
  delta(delta, a, y, n) {
    // BP1 with softmax and log-likelihood: δᴸ = aᴸ − y
    for (let i = 0; i < n; i++) delta[i] = a[i] - y[i];
  },
};

export const costs: Record<Cost['name'], Cost> = { QuadraticCost, CrossEntropyCost, LogLikelihoodCost };

/**
 * Label smoothing ε (Szegedy et al. 2016): a softmax output is trained towards
 * y′ = (1 − ε)·y + ε/K instead of the one-hot y (K classes), so that no output
 * is pushed towards exactly 0 or 1. The cost stays the log-likelihood, taken
 * against y′, so BP1 stays δᴸ = aᴸ − y′; evaluation is unchanged.
 */
export function checkSmoothing(e: number, output: Cost['output']): void {
  if (!(e >= 0 && e < 1)) throw new RangeError(`label smoothing must be from 0 up to (not including) 1; got ${e}`);
  if (e > 0 && output !== 'softmax') throw new RangeError(`label smoothing goes with a softmax output layer; this network's is ${output}`);
}

/** BP1 with softmax, log-likelihood and labels smoothed by ε: δᴸ = aᴸ − ((1 − ε)·y + ε/K), K×m values, n = K·m. */
export function smoothedDelta(delta: Float32Array, a: Float32Array, y: Float32Array, n: number, K: number, e: number): void {
  const spread = e / K;
  for (let i = 0; i < n; i++) delta[i] = a[i] - ((1 - e) * y[i] + spread);
}

/** smoothedDelta's BP1, as the debug printout writes it. */
export const smoothedBp1 = (e: number, K: number) => `aᴸ − ((1 − ${e})·y + ${e}/${K}) (softmax with log-likelihood, labels smoothed by ε = ${e})`;
