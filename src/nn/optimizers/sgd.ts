// nn/optimizers/sgd.ts: network2.py's update rule. Plain stochastic gradient
// descent (chapter 1), L2 weight decay (chapter 3) and momentum (chapter 3),
// on the WebAssembly kernels when the arrays live there:
//   w ← w − (η/m)·∇w                                   (plain)
//   w ← (1 − ηλ/n)·w − (η/m)·∇w                        (L2; biases are not decayed)
//   v ← μ·v − (η/m)·∇w − (ηλ/n)·w,  w ← w + v           (momentum)

import { axpyArrays, momentumArrays, scaleAxpyArrays } from '../../tensor/ops.js';
import { Optimizer, type RangeViews } from './optimizer.js';

export class Sgd extends Optimizer {
  /** With momentum: the velocities v. */
  get stateNames(): readonly string[] {
    return this.settings.momentum ? ['velocity'] : [];
  }

  step(r: RangeViews, eta: number, m: number): void {
    const { lambda, n, momentum } = this.settings;
    const mw = m / r.scale; // after dropout the gradient counts (1 − p)², as if m were m/(1 − p)²
    const d = r.decay ? (eta * lambda) / n : 0;
    if (momentum) momentumArrays(r.w, r.s[0], r.g, momentum, eta / mw, d);
    else if (d) scaleAxpyArrays(r.w, 1 - d, -eta / mw, r.g); // w ← (1 − ηλ/n)·w − (η/m)·∇w
    else axpyArrays(r.w, -eta / mw, r.g); // w ← w − (η/m)·∇w
  }

  readonly label = 'SGD';

  text(): string {
    const { lambda, momentum } = this.settings;
    const w = momentum ? 'v ← μv − (η/m)·∇w − (ηλ/n)·w, w ← w + v' : lambda ? 'w ← (1 − ηλ/n)·w − (η/m)·∇w' : 'w ← w − (η/m)·∇w';
    return `${w}, b ← b − (η/m)·∇b`;
  }
}
