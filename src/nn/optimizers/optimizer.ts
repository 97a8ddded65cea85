// nn/optimizers/optimizer.ts: what an update rule is. An optimizer owns its
// state (momentum's velocities, Adam's moments: arrays laid out as the
// parameter buffer) and steps one range of parameters at a time, so the same
// rule serves one thread stepping the whole buffer and T threads each
// stepping their part (nn/parallel/). It knows nothing of layers: a range says
// whether its values are weights that L2 decays, and how much the gradient
// counts after dropout. Every step: begin() once, then step() on each range.

/** The update rules there are (`--optimizer`). */
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw';

export interface OptimizerSettings {
  name: OptimizerName;
  /** λ: L2 regularisation, the decay (λ/n)·w of network2.py (AdamW: the same decay, decoupled from the gradient); n: the training set's size. */
  lambda: number;
  n: number;
  /** μ: the momentum coefficient ('momentum', 'nesterov'). */
  momentum: number;
  /** Adam's β₁, β₂ and ε. */
  beta1: number;
  beta2: number;
  eps: number;
}

/** Parameters from … to − 1 of the buffer. `decay`: weights (L2 applies); `scale`: the gradient's weight (dropout's (1 − p)², else 1). */
export interface ParamRange {
  readonly from: number;
  readonly to: number;
  readonly decay: boolean;
  readonly scale: number;
}

/** Views of one range, made once: parameters w, gradients g, each state array's part s[k]. */
export interface RangeViews {
  readonly w: Float32Array;
  readonly g: Float32Array;
  readonly s: readonly Float32Array[];
  readonly decay: boolean;
  /** Set by the stack before each step (the Network's dropout may change between runs). */
  scale: number;
}

export abstract class Optimizer {
  /** Its state arrays' names, in order (what a checkpoint lists). */
  abstract readonly stateNames: readonly string[];
  /** Its state arrays, each laid out as the parameter buffer. */
  state: Float32Array[] = [];
  /** Steps taken so far (Adam's t): part of the state. */
  steps = 0;

  constructor(readonly settings: OptimizerSettings) {}

  /** Makes its state arrays (zeros) for `count` parameters with `alloc`, unless it has them. */
  bind(count: number, alloc: (n: number) => Float32Array): void {
    if (this.state.length === this.stateNames.length && this.state.every((a) => a.length === count)) return;
    this.state = this.stateNames.map(() => alloc(count).fill(0));
  }

  /** A worker thread's side of bind(): use thread 0's arrays. */
  adopt(arrays: Float32Array[], steps: number): void {
    if (arrays.length !== this.stateNames.length) throw new Error(`${this.settings.name}: expected ${this.stateNames.length} state arrays, got ${arrays.length}`);
    this.state = arrays;
    this.steps = steps;
  }

  /** The views step() works on for range r of params and grads. */
  views(params: Float32Array, grads: Float32Array, r: ParamRange): RangeViews {
    return {
      w: params.subarray(r.from, r.to), g: grads.subarray(r.from, r.to),
      s: this.state.map((a) => a.subarray(r.from, r.to)), decay: r.decay, scale: r.scale,
    };
  }

  /** Starts afresh, as if no step had been taken: every state array zeroed in place (threads share them), the step count 0. */
  reset(): void {
    for (const a of this.state) a.fill(0);
    this.steps = 0;
  }

  /** Before the ranges of one step are stepped (on every thread). */
  begin(): void {
    this.steps++;
  }

  /** Updates one range from its gradients, summed over a mini-batch of m, with learning rate η. */
  abstract step(v: RangeViews, eta: number, m: number): void;

  /** Its name in --debug-shapes (SGD, Adam, …), and the rule as formulas, weights and biases. */
  abstract readonly label: string;
  abstract text(): string;
}
