// nn/optimizers/adam.ts: Adam (Kingma & Ba, 2015) and AdamW (Loshchilov &
// Hutter, 2019). With g = (1/m)·∇w, the mini-batch's mean gradient, and t the
// step number:
//   m₁ ← β₁·m₁ + (1 − β₁)·g,   m₂ ← β₂·m₂ + (1 − β₂)·g²
//   w ← w − η·m̂₁/(√m̂₂ + ε),    m̂₁ = m₁/(1 − β₁ᵗ), m̂₂ = m₂/(1 − β₂ᵗ)
// L2 (λ) differs between the two: Adam adds (λ/n)·w to g, as network2.py's
// cost does, so the decay is rescaled per weight like the gradient; AdamW
// decays the weights apart from it, w ← (1 − ηλ/n)·w, the book's own weight
// decay, which is what the paper shows works better.

import { Optimizer, type RangeViews } from './optimizer.js';

export class Adam extends Optimizer {
  readonly stateNames = ['m1', 'm2'];
  /** This step's corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ), set by begin(). */
  private c1 = 1;
  private c2 = 1;

  override begin(): void {
    super.begin();
    this.c1 = 1 / (1 - this.settings.beta1 ** this.steps);
    this.c2 = 1 / (1 - this.settings.beta2 ** this.steps);
  }

  step(r: RangeViews, eta: number, m: number): void {
    const { lambda, n, beta1, beta2, eps, name } = this.settings;
    const decoupled = name === 'adamw';
    const l2 = r.decay && !decoupled ? lambda / n : 0;
    const keep = r.decay && decoupled ? 1 - (eta * lambda) / n : 1;
    const a = r.scale / m;
    const { w, g } = r;
    const m1 = r.s[0];
    const m2 = r.s[1];
    const { c1, c2 } = this;
    for (let i = 0; i < w.length; i++) {
      const gi = a * g[i] + l2 * w[i];
      const mi = beta1 * m1[i] + (1 - beta1) * gi;
      const vi = beta2 * m2[i] + (1 - beta2) * gi * gi;
      m1[i] = mi;
      m2[i] = vi;
      w[i] = keep * w[i] - (eta * mi * c1) / (Math.sqrt(vi * c2) + eps);
    }
  }

  get label(): string {
    return this.settings.name === 'adamw' ? 'AdamW' : 'Adam';
  }

  text(): string {
    const { lambda, beta1, beta2, eps, name } = this.settings;
    const decay = !lambda ? '' : name === 'adamw' ? ', then w ← (1 − ηλ/n)·w apart from it' : ', with g + (λ/n)·w for L2';
    return `m₁ ← β₁m₁ + (1−β₁)g, m₂ ← β₂m₂ + (1−β₂)g², w ← w − η·m̂₁/(√m̂₂ + ε), g = ∇w/m (β₁ = ${beta1}, β₂ = ${beta2}, ε = ${eps}${decay}), b likewise without λ`;
  }
}
