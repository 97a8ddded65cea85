// nn/optimizers/nesterov.ts: Nesterov's accelerated gradient (Sutskever et al.,
// 2013), in the form of momentum above: the step looks ahead along the new
// velocity. With d = (η/m)·∇w + (ηλ/n)·w (the gradient step, L2 included):
//   v ← μ·v − d,  w ← w + μ·v − d
// (PyTorch's SGD(nesterov=True), with η folded into v.)

import { Optimizer, type RangeViews } from './optimizer.js';

export class Nesterov extends Optimizer {
  readonly stateNames = ['velocity'];

  step(r: RangeViews, eta: number, m: number): void {
    const { lambda, n, momentum: mu } = this.settings;
    const a = (eta * r.scale) / m;
    const decay = r.decay ? (eta * lambda) / n : 0;
    const { w, g } = r;
    const v = r.s[0];
    for (let i = 0; i < w.length; i++) {
      const d = a * g[i] + decay * w[i];
      const vi = mu * v[i] - d;
      v[i] = vi;
      w[i] += mu * vi - d;
    }
  }

  readonly label = 'Nesterov';

  text(): string {
    const { lambda, momentum } = this.settings;
    return `d = (η/m)·∇w + (ηλ/n)·w, v ← μv − d, w ← w + μv − d (μ = ${momentum}${lambda ? `, λ = ${lambda}` : ''}), b likewise without λ`;
  }
}
