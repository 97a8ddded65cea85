// explain/stages.ts: one recorded SGD step (explain/step.ts) as the book tells
// it, stage by stage: the forward pass z¹ → a¹ → … → C, BP1 at the output,
// BP2 down the layers with BP3 and BP4 at each, and the update. Each stage is
// a tensor (its values, how to lay them out, its --debug-shapes line) and,
// for any one of its values, the formula with the actual numbers plugged in.
// Layers are numbered as the book does: the input is layer 1, so the first
// layer with weights is layer 2 (z², a², δ², W²); neurons, maps and rows are
// counted from 0, so output neuron j stands for digit j.

import { BatchNorm, Conv, Dense, Dropout, Pool, size, sup } from '../nn/layers/index.js';
import { linear, type Activation } from '../nn/activations.js';
import { shapeText } from '../nn/layer-spec.js';
import type { LayerStack } from '../nn/stack.js';
import type { StepRecord } from './step.js';
import { activationText, derivative, factor, fSym, num, sub, sumText, valuesText } from './formula.js';
import { at, shapeLayout, vec, weightLayout, where, type Layout } from './layout.js';
import { bnBackwardStages, bnForwardStages } from './bn-stages.js';

export type { Layout } from './layout.js';

export interface Explained {
  /** The formula, then the same with the numbers plugged in (lines). */
  text: string;
  /** The value the formula arrives at: the library's own. */
  value: number;
  /** A convolution's z: the kernel of the channel that counts most, and the patch of the layer below it multiplies (k×k each). */
  patch?: { kernel: Float32Array; patch: Float32Array; k: number; channel: number };
}

export interface Stage {
  id: string;
  part: 'forward' | 'cost' | 'backward' | 'update' | 'result';
  /** The equation this stage computes, in the book's notation. */
  title: string;
  /** What happens here, in a sentence. */
  note: string;
  /** Its line(s) of --debug-shapes. */
  shape: string;
  values: Float32Array;
  layout: Layout;
  explain(i: number): Explained;
  /** For BP3, BP4 and the update: value i's place in the parameter buffer (the gradient check). */
  param?: (i: number) => number;
}

/** Weight q of a layer, as the formulas name it: w²ⱼ,ₖ (row j, column k), or a filter's W²(filter, map, row, col). */
function weightName(layer: Dense | Conv, l: string, q: number): string {
  const nIn = layer.groups[0].cols;
  const [j, k] = [Math.floor(q / nIn), q % nIn];
  if (layer instanceof Dense) return `w${l}${sub(j)},${sub(k)}`;
  const kk = layer.k * layer.k;
  return `W${l}(filter ${j}, map ${Math.floor(k / kk)}, row ${Math.floor((k % kk) / layer.k)}, col ${k % layer.k})`;
}

/** Builds the stages of a recorded step of `stack`. */
export function stepStages(stack: LayerStack, rec: StepRecord): Stage[] {
  const layers = stack.layers;
  // the book's layer numbers: the input is 1; a dropout layer keeps the number of the layer below it
  const numbers: number[] = [];
  let n = 1;
  for (const l of layers) numbers.push(l instanceof Dropout ? n : ++n);
  const L = (i: number) => sup(i < 0 ? 1 : numbers[i]);
  const inputOf = (i: number) => (i === 0 ? rec.input : rec.layers[i - 1].a!);
  const W = (i: number) => rec.before.subarray(rec.offsets[i], rec.offsets[i] + layers[i].paramCount);
  const lines = (text: string) => text.split('\n').filter(Boolean);
  const traceOf = (text: string, prefix: string) => lines(text).filter((l) => l.startsWith(prefix)).join('\n') || text;
  const stages: Stage[] = [];
  const last = layers.length - 1;
  const bn = (i: number, layer: BatchNorm) => ({
    layer, n: numbers[i], below: i === 0 ? 1 : numbers[i - 1], l: L(i), k: L(i - 1), x: inputOf(i), v: rec.layers[i],
    params: W(i), offset: rec.offsets[i], grads: rec.grads,
    ...stack.frozenBatchNorm(() => ({ fwd: layer.traceForward(1, true), bwd: layer.traceBackward(1, i > 0) })), // as the step ran
  });

  // ---- forward
  stages.push({
    id: 'input', part: 'forward', title: `a¹ = x`, note: 'The input layer: your drawing as the network gets it, each pixel a value from 0 (no ink) to 1.',
    shape: rec.trace.find((t) => t.startsWith('input')) ?? `input  a¹ = x (${shapeText(stack.image)}), one sample`, values: rec.input, layout: shapeLayout(stack.image),
    explain: (i) => ({ text: `a¹${where(stack.image, i)} = ${num(rec.input[i])} (a pixel, 0 = no ink, 1 = full ink)`, value: rec.input[i] }),
  });
  layers.forEach((layer, i) => {
    const [l, k] = [L(i), L(i - 1)];
    const x = inputOf(i);
    const v = rec.layers[i];
    const fwd = layer.traceForward(1, true);
    if (layer instanceof Dense) {
      const nIn = size(layer.input);
      const w = W(i);
      stages.push({
        id: `z${numbers[i]}`, part: 'forward', title: `z${l} = W${l}a${k} + b${l}`, note: `Layer ${numbers[i]} (${layer.name}): each of its ${layer.units} neurons weighs every value of layer ${numbers[i] - 1} and adds its bias.`,
        shape: lines(fwd)[0], values: v.z!, layout: vec(layer.units),
        explain: (j) => {
          const s = sumText(Array.from({ length: nIn }, (_, q) => ({ a: w[j * nIn + q], b: x[q] })));
          const b = w[layer.units * nIn + j];
          return { text: `z${l}${sub(j)} = Σₖ w${l}${sub(j)}ₖ·a${k}ₖ + b${l}${sub(j)}\n= ${s.text} + ${factor(b)}\n= ${num(s.sum)} + ${factor(b)} = ${num(v.z![j])}`, value: v.z![j] };
        },
      });
      stages.push({
        id: `a${numbers[i]}`, part: 'forward', title: `a${l} = ${fSym(layer.f)}(z${l})`, note: layer.f === 'softmax' ? 'The output layer: softmax turns the ten weighted inputs into probabilities that add up to 1.' : layer.f === linear ? 'No activation: a = z.' : `Each neuron's activation: ${fSym(layer.f)} of its weighted input.`,
        shape: lines(fwd).slice(-1)[0], values: v.a!, layout: vec(layer.units),
        explain: (j) => ({ text: `a${l}${sub(j)} = ${fSym(layer.f)}(z${l}${sub(j)}) = ${activationText(layer.f, v.z![j], v.a![j], v.z!, j)}`, value: v.a![j] }),
      });
    } else if (layer instanceof Conv) {
      const { c: C, h: H, w: Wd } = layer.input;
      const kk = layer.k * layer.k;
      const w = W(i);
      stages.push({
        id: `z${numbers[i]}`, part: 'forward', title: `z${l} = W${l} ∗ a${k} + b${l}`, note: `Layer ${numbers[i]} (${layer.name}): ${layer.maps} filters of ${layer.k}×${layer.k}${C > 1 ? ` over all ${C} maps` : ''}, each slid over layer ${numbers[i] - 1}; a map's value is its filter times the patch under it, plus the filter's bias.`,
        shape: fwd, values: v.z!, layout: shapeLayout(layer.output),
        explain: (q) => {
          const [f, r, col] = at(q, layer.output);
          const terms = [];
          let best = 0;
          let bestSum = -1;
          for (let ch = 0; ch < C; ch++) {
            let part = 0;
            for (let u = 0; u < layer.k; u++) {
              for (let t = 0; t < layer.k; t++) {
                const term = { a: w[f * C * kk + ch * kk + u * layer.k + t], b: x[ch * H * Wd + (r + u) * Wd + col + t] };
                terms.push(term);
                part += term.a * term.b;
              }
            }
            if (Math.abs(part) > bestSum) [best, bestSum] = [ch, Math.abs(part)];
          }
          const kernel = w.slice(f * C * kk + best * kk, f * C * kk + (best + 1) * kk);
          const patch = new Float32Array(kk);
          for (let u = 0; u < layer.k; u++) for (let t = 0; t < layer.k; t++) patch[u * layer.k + t] = x[best * H * Wd + (r + u) * Wd + col + t];
          const s = sumText(terms);
          const b = w[layer.maps * C * kk + f];
          const over = C > 1 ? ` over ${C} maps` : '';
          return {
            text: `z${l}(map ${f}, row ${r}, col ${col}) = Σ W${l}(filter ${f}) ⊙ patch of a${k} at (${r}, ${col})${over} + b${l}${sub(f)}\n= ${s.text} + ${factor(b)}\n= ${num(s.sum)} + ${factor(b)} = ${num(v.z![q])}`,
            value: v.z![q], patch: { kernel, patch, k: layer.k, channel: best },
          };
        },
      });
      stages.push({
        id: `a${numbers[i]}`, part: 'forward', title: `a${l} = ${fSym(layer.f)}(z${l})`, note: layer.f === linear ? 'No activation: a = z.' : `The feature maps: ${fSym(layer.f)} of each weighted input.`,
        shape: fwd, values: v.a!, layout: shapeLayout(layer.output),
        explain: (q) => ({ text: `a${l}${where(layer.output, q)} = ${fSym(layer.f)}(z) = ${activationText(layer.f, v.z![q], v.a![q], v.z!, q)}`, value: v.a![q] }),
      });
    } else if (layer instanceof Pool) {
      const s = layer.input;
      stages.push({
        id: `a${numbers[i]}`, part: 'forward', title: `a${l} = max-pool(a${k})`, note: `Layer ${numbers[i]} (${layer.name}): each 2×2 window of every map keeps its largest value.`,
        shape: fwd, values: v.a!, layout: shapeLayout(layer.output),
        explain: (q) => {
          const [f, r, col] = at(q, layer.output);
          const win = [0, 1, 2, 3].map((d) => x[f * s.h * s.w + (2 * r + (d >> 1)) * s.w + 2 * col + (d & 1)]);
          return { text: `a${l}(map ${f}, row ${r}, col ${col}) = max of a${k}(map ${f}, rows ${2 * r}–${2 * r + 1}, cols ${2 * col}–${2 * col + 1})\n= max(${win.map(num).join(', ')}) = ${num(v.a![q])}`, value: v.a![q] };
        },
      });
    } else if (layer instanceof BatchNorm) {
      stages.push(...bnForwardStages(bn(i, layer)));
    } else if (layer instanceof Dropout && layer.p > 0) {
      stages.push({
        id: `drop${i}`, part: 'forward', title: `a${l} ⊙ mask / (1 − p)`, note: `Dropout (p = ${layer.p}): some units are silenced for this step, the others scaled up.`,
        shape: fwd, values: v.a!, layout: shapeLayout(layer.output),
        explain: (q) => ({ text: `a${l}${where(layer.output, q)} = ${num(x[q])} ${v.a![q] === 0 ? '⊙ 0 (dropped)' : `/ (1 − p) = ${num(v.a![q])}`}`, value: v.a![q] }),
      });
    }
  });

  // ---- the cost
  const out = layers[last] as Dense;
  const aL = rec.layers[last].a!;
  const lL = L(last);
  const costName = stack.cost.name;
  const terms = Float32Array.from(aL, (a, j) => {
    const y = rec.y[j];
    if (costName === 'LogLikelihoodCost') return y ? -Math.log(a) : 0;
    if (costName === 'CrossEntropyCost') return y ? -Math.log(a) : -Math.log(1 - a);
    return 0.5 * (a - y) * (a - y);
  });
  const costFormula = costName === 'LogLikelihoodCost' ? `C = −ln a${lL}ᵧ` : costName === 'CrossEntropyCost' ? `C = −Σⱼ [yⱼ ln a${lL}ⱼ + (1 − yⱼ) ln(1 − a${lL}ⱼ)]` : `C = ½ Σⱼ (a${lL}ⱼ − yⱼ)²`;
  stages.push({
    id: 'cost', part: 'cost', title: `${costFormula} = ${num(rec.costBefore)}`, note: `The cost (${costName}) of this example: y is 1 for ${rec.label} and 0 for the other digits. Each cell is one output's share of C.`,
    shape: `cost  ${costName}: a${lL} (${out.units}×1) against y (${out.units}×1) → C, one number`, values: terms, layout: vec(out.units),
    explain: (j) => {
      const a = aL[j];
      const y = rec.y[j];
      const text = costName === 'LogLikelihoodCost'
        ? (y ? `−ln a${lL}${sub(j)} = −ln ${num(a)} = ${num(terms[j])}: the whole cost, C = ${num(rec.costBefore)}` : `y${sub(j)} = 0: a${lL}${sub(j)} = ${num(a)} adds nothing to C = −ln a${lL}${sub(rec.label)} (softmax still ties it to the others)`)
        : costName === 'CrossEntropyCost'
          ? `−[y ln a + (1 − y) ln(1 − a)] = ${y ? `−ln ${num(a)}` : `−ln(1 − ${num(a)})`} = ${num(terms[j])}`
          : `½(a${lL}${sub(j)} − y${sub(j)})² = ½(${num(a)} − ${y})² = ${num(terms[j])}`;
      return { text: `output ${j} (y${sub(j)} = ${y}): ${text}`, value: terms[j] };
    },
  });

  // ---- backward: BP1 at the output, then BP2 (with BP3, BP4) down the layers
  const up = (i: number) => (layers[i + 1] instanceof Dropout ? i + 2 : i + 1);
  // ∂C/∂a of layer i's value j: the error the layer above passed down (through a dropout layer's mask, if one is between)
  const error = (i: number, j: number): string => {
    const drop = layers[i + 1] instanceof Dropout ? (layers[i + 1] as Dropout) : null;
    const u = up(i);
    const above = layers[u];
    const dy = rec.layers[i].dy![j];
    if (above instanceof Dense) {
      const nIn = size(above.input);
      const w = W(u);
      const s = sumText(Array.from({ length: above.units }, (_, q) => ({ a: w[q * nIn + j], b: rec.layers[u].delta![q] })));
      const mask = drop && drop.p > 0 ? `, times this unit's dropout mask / (1 − p): ${num(dy)}` : '';
      return `(Σₖ w${L(u)}ₖ${sub(j)}·δ${L(u)}ₖ = ${s.text} = ${num(mask ? s.sum : dy)}${mask})`;
    }
    return `(${num(dy)}, from layer ${numbers[u]} (${above.name}))`;
  };
  for (let i = last; i >= 0; i--) {
    const layer = layers[i];
    const [l, k] = [L(i), L(i - 1)];
    const v = rec.layers[i];
    const bwd = layer.traceBackward(1, i > 0);
    if (layer instanceof Dense || layer instanceof Conv) {
      const o = rec.offsets[i];
      const s = layer.output;
      const x = inputOf(i);
      if (i === last) {
        const bp1 = rec.trace.find((t) => t.startsWith('BP1')) ?? bwd;
        stages.push({
          id: 'bp1', part: 'backward', title: `BP1  δ${l} = ${stack.cost.bp1.replace(/ᴸ/g, l)}`, note: 'The output error: how the cost changes with each output neuron\'s weighted input.',
          shape: bp1, values: v.delta!, layout: vec(out.units),
          explain: (j) => {
            const [a, y] = [aL[j], rec.y[j]];
            if (costName === 'QuadraticCost') {
              const d = derivative(out.f as Activation, NaN, a);
              return { text: `δ${l}${sub(j)} = (a${l}${sub(j)} − y${sub(j)})·σ′(z${l}${sub(j)})\n= (${num(a)} − ${y})·${num(d.value)} = ${num(v.delta![j])}\nwith ${d.text}`, value: v.delta![j] };
            }
            return { text: `δ${l}${sub(j)} = a${l}${sub(j)} − y${sub(j)} = ${num(a)} − ${y} = ${num(v.delta![j])}`, value: v.delta![j] };
          },
        });
      } else {
        const f = layer.f as Activation;
        stages.push({
          id: `bp2-${numbers[i]}`, part: 'backward',
          title: layers[up(i)] instanceof Dense ? `BP2  δ${l} = ((W${L(up(i))})ᵀδ${L(up(i))}) ⊙ ${fSym(f)}′(z${l})` : `BP2  δ${l} = ∂C/∂a${l} ⊙ ${fSym(f)}′(z${l})`,
          note: `The error of layer ${numbers[i]} (${layer.name}): the error above carried down through the weights, times how much each neuron's activation responds.`,
          shape: traceOf(bwd, 'BP2'), values: v.delta!, layout: shapeLayout(s),
          explain: (j) => {
            const d = derivative(f, v.z![j], v.a![j]);
            return { text: `δ${l}${where(s, j)} = ∂C/∂a${l} · ${fSym(f)}′(z${l})\n= ${error(i, j)} · ${num(d.value)} = ${num(v.delta![j])}\nwith ${d.text}`, value: v.delta![j] };
          },
        });
      }
      const nW = layer.groups[0].rows * layer.groups[0].cols;
      const units = layer.groups[0].rows;
      const nIn = layer.groups[0].cols;
      stages.push({
        id: `bp3-${numbers[i]}`, part: 'backward', title: layer instanceof Dense ? `BP3  ∂C/∂b${l} = δ${l}` : `BP3  ∂C/∂b${l} = Σ δ${l} over each map`,
        note: layer instanceof Dense ? 'The gradient of each bias is its neuron\'s error.' : 'A filter\'s bias is added at every position of its map, so its gradient sums the map\'s errors.',
        shape: traceOf(bwd, 'BP3'), values: rec.grads.subarray(o + nW, o + nW + units), layout: vec(units), param: (j) => o + nW + j,
        explain: (j) => {
          const g = rec.grads[o + nW + j];
          if (layer instanceof Dense) return { text: `∂C/∂b${l}${sub(j)} = δ${l}${sub(j)} = ${num(g)}`, value: g };
          const P = s.h * s.w;
          const t = valuesText(Array.from(v.delta!.subarray(j * P, (j + 1) * P)));
          return { text: `∂C/∂b${l}${sub(j)} = Σ δ${l}(map ${j}) over its ${P} positions\n= ${t.text} = ${num(g)}`, value: g };
        },
      });
      stages.push({
        id: `bp4-${numbers[i]}`, part: 'backward', title: layer instanceof Dense ? `BP4  ∂C/∂w${l}ⱼₖ = a${k}ₖ δ${l}ⱼ` : `BP4  ∂C/∂W${l} = Σ δ${l} · patches of a${k}`,
        note: layer instanceof Dense ? 'The gradient of each weight: the activation it carries times the error of the neuron it feeds.' : 'The gradient of each kernel weight: the errors of its map times the values it met at each position.',
        shape: traceOf(bwd, 'BP4'), values: rec.grads.subarray(o, o + nW), layout: layer instanceof Dense ? weightLayout(units, layer.input) : { tiles: layer.maps, c: layer.input.c, h: layer.k, w: layer.k },
        param: (q) => o + q,
        explain: (q) => {
          const g = rec.grads[o + q];
          const [j, c] = [Math.floor(q / nIn), q % nIn];
          if (layer instanceof Dense) return { text: `∂C/∂${weightName(layer, l, q)} = a${k}${sub(c)}·δ${l}${sub(j)} = ${factor(x[c])}·${factor(v.delta![j])} = ${num(g)}`, value: g };
          const kk = layer.k * layer.k;
          const [ch, u, t] = [Math.floor(c / kk), Math.floor((c % kk) / layer.k), c % layer.k];
          const { h: H, w: Wd } = layer.input;
          const terms = [];
          for (let r = 0; r < s.h; r++) for (let col = 0; col < s.w; col++) terms.push({ a: v.delta![j * s.h * s.w + r * s.w + col], b: x[ch * H * Wd + (r + u) * Wd + col + t] });
          const sum = sumText(terms);
          return { text: `∂C/∂${weightName(layer, l, q)} = Σ over positions (r, c) of δ${l}(map ${j}, r, c)·a${k}(map ${ch}, r + ${u}, c + ${t})\n= ${sum.text} = ${num(g)}`, value: g };
        },
      });
    } else if (layer instanceof BatchNorm) {
      stages.push(...bnBackwardStages(bn(i, layer), (j) => error(i, j), i > 0 ? rec.layers[i - 1].dy! : null));
    } else if (layer instanceof Pool && i > 0) {
      const below = rec.layers[i - 1].dy!;
      const s = layer.input;
      const x = inputOf(i);
      stages.push({
        id: `pool-${numbers[i]}`, part: 'backward', title: `∂C/∂a${k} = the error of a${l}, at each window's max`,
        note: `Through the pool (layer ${numbers[i]}): each window's error goes to the value that won it; the other three get none.`,
        shape: bwd, values: below, layout: shapeLayout(s),
        explain: (q) => {
          const [f, r, col] = at(q, s);
          const o = f * layer.output.h * layer.output.w + (r >> 1) * layer.output.w + (col >> 1);
          const g = v.dy![o];
          const won = below[q] !== 0 || (g === 0 && x[q] === v.a![o]);
          const text = won
            ? `= ∂C/∂a${l}(map ${f}, row ${r >> 1}, col ${col >> 1}) ${error(i, o)}: a${k} here (${num(x[q])}) is its window's max`
            : x[q] === v.a![o]
              ? `= 0: a${k} here (${num(x[q])}) ties with its window's max, and the first of the four equal values takes the error`
              : `= 0: a${k} here (${num(x[q])}) is not its window's max (${num(v.a![o])})`;
          return { text: `∂C/∂a${k}(map ${f}, row ${r}, col ${col}) ${text}`, value: below[q] };
        },
      });
    }
  }

  // ---- the update, layer by layer
  const opt = stack.optimizer;
  const { lambda, n: trainN, name } = opt.settings;
  const plain = name === 'sgd' || (name === 'momentum' && opt.steps === 1); // momentum's first step from rest is plain SGD
  layers.forEach((layer, i) => {
    if (!(layer instanceof Dense || layer instanceof Conv || layer instanceof BatchNorm)) return;
    const l = L(i);
    const scales = layer instanceof BatchNorm; // γ and β, one per channel
    const o = rec.offsets[i];
    layer.groups.forEach((g, gi) => {
      const from = o + (gi === 0 ? 0 : layer.groups[0].rows * layer.groups[0].cols);
      const count = g.rows * g.cols;
      const change = new Float32Array(count);
      for (let q = 0; q < count; q++) change[q] = rec.after[from + q] - rec.before[from + q];
      const sym = scales ? (gi === 0 ? 'γ' : 'β') : gi === 0 ? 'w' : 'b';
      const decay = g.decay && lambda > 0;
      const layout = gi === 1 || scales ? vec(count) : layer instanceof Dense ? weightLayout(g.rows, layer.input) : { tiles: layer.maps, c: layer.input.c, h: layer.k, w: layer.k };
      stages.push({
        id: `${sym}-${numbers[i]}`, part: 'update',
        title: decay ? `${sym}${l} ← (1 − ηλ/n)·${sym}${l} − η·∂C/∂${sym}${l}` : `${sym}${l} ← ${sym}${l} − η·∂C/∂${sym}${l}`,
        note: `The update of layer ${numbers[i]}'s ${scales ? (gi === 0 ? 'scales γ' : 'shifts β') : gi === 0 ? 'weights' : 'biases'} (m = 1, η = ${rec.eta}${decay ? `, λ = ${lambda}, n = ${trainN}` : ''}); the map shows each one's change.`,
        shape: rec.rule, values: change, layout, param: (q) => from + q,
        explain: (q) => {
          const [w0, w1, gr] = [rec.before[from + q], rec.after[from + q], rec.grads[from + q]];
          const what = layer instanceof BatchNorm || gi === 1 ? `${sym}${l}${sub(q)}` : weightName(layer, l, q);
          if (!plain) return { text: `${what}: ${num(w0)} → ${num(w1)} (∂C/∂${sym} = ${num(gr)}; ${rec.rule})`, value: w1 };
          const text = decay
            ? `${what} ← (1 − ${rec.eta}·${lambda}/${trainN})·${factor(w0)} − ${rec.eta}·${factor(gr)} = ${num(w1)}`
            : `${what} ← ${num(w0)} − ${rec.eta}·${factor(gr)} = ${num(w1)}`;
          return { text, value: w1 };
        },
      });
    });
  });

  // ---- the outputs after the step
  stages.push({
    id: 'after', part: 'result', title: `after the step: C = ${num(rec.costBefore)} → ${num(rec.costAfter)}`,
    note: `The same drawing read again with the updated weights: the output for ${rec.label} should have grown.`,
    shape: `output  a${lL} (${out.units}×1) before and after the step`, values: rec.outputsAfter, layout: vec(out.units),
    explain: (j) => ({ text: `a${lL}${sub(j)}: ${num(rec.outputsBefore[j])} before → ${num(rec.outputsAfter[j])} after${j === rec.label ? ' (the label)' : ''}`, value: rec.outputsAfter[j] }),
  });
  return stages;
}
