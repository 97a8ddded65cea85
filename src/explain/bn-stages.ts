// explain/bn-stages.ts: the explorer's stages for a batch-norm layer, frozen
// as the explorer's step takes it (explain/step.ts): each channel of the layer
// below shifted by its running mean μ and divided by √(σ² + ε), both kept from
// training, then scaled by γ and shifted by β, which are learnt; on the way
// down δ, the gradients of γ and β, and the error passed to the layer below,
// which a fixed scale carries straight through.

import { BN_EPS, type BatchNorm } from '../nn/layers/batch-norm.js';
import { linear } from '../nn/activations.js';
import type { LayerValues } from './step.js';
import type { Stage } from './stages.js';
import { activationText, derivative, factor, fSym, num, sub, sumText, valuesText } from './formula.js';
import { shapeLayout, vec, where } from './layout.js';

/** What a batch-norm layer's stages read: the layer, its numbers, what it saw and made, its γ and β before the step. */
export interface BnContext {
  layer: BatchNorm;
  /** The book's numbers of this layer and the one below, plain and as superscripts. */
  n: number;
  below: number;
  l: string;
  k: string;
  /** What it saw (the layer below's a) and what it made. */
  x: Float32Array;
  v: LayerValues;
  /** Its γ then β, before the step. */
  params: Float32Array;
  /** Where γ starts in the parameter buffer, and ∂C/∂(each parameter). */
  offset: number;
  grads: Float32Array;
  /** Its --debug-shapes lines, forward and backward. */
  fwd: string;
  bwd: string;
}

const EPS = '10⁻⁵';

/** Channel of value q of one sample, and that channel's μ, σ², γ, β and 1/√(σ² + ε). */
function channel(c: BnContext, q: number) {
  const { layer, params } = c;
  const ch = Math.floor(q / layer.positions);
  const [mu, variance] = [layer.runningMean[ch], layer.runningVar[ch]];
  return { ch, mu, variance, gamma: params[ch], beta: params[layer.channels + ch], inv: 1 / Math.sqrt(variance + BN_EPS) };
}

/** z = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε), and a = f(z) if the layer has an activation. */
export function bnForwardStages(c: BnContext): Stage[] {
  const { layer, l, k, x, v } = c;
  const s = layer.output;
  const each = layer.positions > 1 ? 'map' : 'value';
  const stages: Stage[] = [{
    id: `z${c.n}`, part: 'forward', title: `z${l} = γ${l}·(a${k} − μ)/√(σ² + ε) + β${l}`,
    note: `Layer ${c.n} (${layer.name}): each ${each} of layer ${c.below} shifted by its running mean μ and divided by its running standard deviation √(σ² + ε), both kept from training, then scaled by γ and shifted by β, which are learnt.`,
    shape: c.fwd, values: v.z!, layout: shapeLayout(s),
    explain: (q) => {
      const { ch, mu, variance, gamma, beta, inv } = channel(c, q);
      const xhat = (x[q] - mu) * inv;
      return {
        text: `z${l}${where(s, q)} = γ${l}${sub(ch)}·(a${k} − μ${sub(ch)})/√(σ²${sub(ch)} + ε) + β${l}${sub(ch)}\n` +
          `= ${factor(gamma)}·(${num(x[q])} − ${factor(mu)})/√(${num(variance)} + ${EPS}) + ${factor(beta)}\n` +
          `= ${factor(gamma)}·${factor(xhat)} + ${factor(beta)} = ${num(v.z![q])}\n(μ and σ²: ${each} ${ch}'s running averages from training)`,
        value: v.z![q],
      };
    },
  }];
  if (layer.f !== linear) {
    const f = layer.f;
    stages.push({
      id: `a${c.n}`, part: 'forward', title: `a${l} = ${fSym(f)}(z${l})`, note: `Each normalised value through ${fSym(f)}.`,
      shape: c.fwd, values: v.a!, layout: shapeLayout(s),
      explain: (q) => ({ text: `a${l}${where(s, q)} = ${fSym(f)}(z) = ${activationText(f, v.z![q], v.a![q], v.z!, q)}`, value: v.a![q] }),
    });
  }
  return stages;
}

/**
 * δ = ∂C/∂a ⊙ f′(z), ∂C/∂β = Σ δ, ∂C/∂γ = Σ δ·x̂ (per channel), and, when
 * there is a layer below, ∂C/∂a below = γ·δ/√(σ² + ε). `error(j)`: ∂C/∂a of
 * value j as the layer above passed it down, in words and numbers; `down`:
 * what this layer passed down (the layer below's ∂C/∂a), or null.
 */
export function bnBackwardStages(c: BnContext, error: (j: number) => string, down: Float32Array | null): Stage[] {
  const { layer, l, k, x, v, offset, grads } = c;
  const s = layer.output;
  const C = layer.channels;
  const P = layer.positions;
  const f = layer.f;
  const delta = v.delta!;
  const stages: Stage[] = [{
    id: `bn-delta-${c.n}`, part: 'backward', title: f === linear ? `δ${l} = ∂C/∂z${l} = ∂C/∂a${l}` : `δ${l} = ∂C/∂a${l} ⊙ ${fSym(f)}′(z${l})`,
    note: `The error of layer ${c.n} (${layer.name}): the error passed down from above${f === linear ? '' : ', times how much each activation responds'}.`,
    shape: c.bwd, values: delta, layout: shapeLayout(s),
    explain: (j) => {
      if (f === linear) return { text: `δ${l}${where(s, j)} = ∂C/∂a${l} = ${error(j)} = ${num(delta[j])}`, value: delta[j] };
      const d = derivative(f, v.z![j], v.a![j]);
      return { text: `δ${l}${where(s, j)} = ∂C/∂a${l} · ${fSym(f)}′(z${l})\n= ${error(j)} · ${num(d.value)} = ${num(delta[j])}\nwith ${d.text}`, value: delta[j] };
    },
  }];
  const mapDeltas = (ch: number) => Array.from(delta.subarray(ch * P, (ch + 1) * P));
  stages.push({
    id: `bn-beta-${c.n}`, part: 'backward', title: P > 1 ? `∂C/∂β${l} = Σ δ${l} over each map` : `∂C/∂β${l} = δ${l}`,
    note: P > 1 ? 'β is added at every position of its map, so its gradient sums the map\'s errors.' : 'The gradient of each shift β is its value\'s error.',
    shape: c.bwd, values: grads.subarray(offset + C, offset + 2 * C), layout: vec(C), param: (j) => offset + C + j,
    explain: (j) => {
      const g = grads[offset + C + j];
      if (P === 1) return { text: `∂C/∂β${l}${sub(j)} = δ${l}${sub(j)} = ${num(g)}`, value: g };
      return { text: `∂C/∂β${l}${sub(j)} = Σ δ${l}(map ${j}) over its ${P} positions\n= ${valuesText(mapDeltas(j)).text} = ${num(g)}`, value: g };
    },
  });
  stages.push({
    id: `bn-gamma-${c.n}`, part: 'backward', title: `∂C/∂γ${l} = Σ δ${l}·x̂${P > 1 ? ' over each map' : ''}`,
    note: 'γ scales the normalised value x̂ = (a − μ)/√(σ² + ε), so its gradient is the error times x̂, summed where γ is used.',
    shape: c.bwd, values: grads.subarray(offset, offset + C), layout: vec(C), param: (j) => offset + j,
    explain: (j) => {
      const g = grads[offset + j];
      const { mu, inv } = channel(c, j * P);
      const terms = mapDeltas(j).map((d, p) => ({ a: d, b: (x[j * P + p] - mu) * inv }));
      if (P === 1) return { text: `∂C/∂γ${l}${sub(j)} = δ${l}${sub(j)}·x̂${sub(j)} = ${factor(terms[0].a)}·${factor(terms[0].b)} = ${num(g)}`, value: g };
      return { text: `∂C/∂γ${l}${sub(j)} = Σ δ${l}·x̂ over map ${j}'s ${P} positions\n= ${sumText(terms).text} = ${num(g)}`, value: g };
    },
  });
  if (down) {
    stages.push({
      id: `bn-down-${c.n}`, part: 'backward', title: `∂C/∂a${k} = γ${l}·δ${l}/√(σ² + ε)`,
      note: 'With μ and σ² fixed numbers from training, batch norm is a scale and a shift of each channel, so the error goes down scaled by γ/√(σ² + ε).',
      shape: c.bwd, values: down, layout: shapeLayout(layer.input),
      explain: (q) => {
        const { ch, variance, gamma } = channel(c, q);
        return { text: `∂C/∂a${k}${where(layer.input, q)} = γ${l}${sub(ch)}·δ${l}/√(σ²${sub(ch)} + ε) = ${factor(gamma)}·${factor(delta[q])}/√(${num(variance)} + ${EPS}) = ${num(down[q])}`, value: down[q] };
      },
    });
  }
  return stages;
}
