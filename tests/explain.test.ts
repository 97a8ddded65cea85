// The backprop explorer's numbers (src/explain/): what the trace hook records
// for one SGD step equals a float64 twin of network.py's backprop and what the
// library computes without the hook; the step is exactly one updateMiniBatch;
// every stage's formula arrives at the stage's value; the gradient check agrees;
// batch norm, frozen for the step, explained with its running averages.

import { describe, expect, it } from 'vitest';
import { learnOne, gradientCheck } from '../src/explain/step.js';
import { stepStages, type Stage } from '../src/explain/stages.js';
import { num, sumText } from '../src/explain/formula.js';
import { place } from '../src/explain/tiles.js';
import { Network } from '../src/nn/network.js';
import { LayerStack } from '../src/nn/stack.js';
import { BatchNorm } from '../src/nn/layers/index.js';
import { Matrix } from '../src/tensor/matrix.js';
import { Rng } from '../src/rng.js';
import { refUpdateMiniBatch, sigmoid64, type RefNet } from './reference.js';

/** A 28×28 "1": a bar of ink, with a little grey around it. */
function drawing(): Float32Array {
  const x = new Float32Array(784);
  for (let r = 5; r < 23; r++) for (let c = 12; c < 17; c++) x[r * 28 + c] = c === 12 || c === 16 ? 0.4 : 1;
  return x;
}

function oneHot(label: number): Float32Array {
  const y = new Float32Array(10);
  y[label] = 1;
  return y;
}

const find = (stages: Stage[], id: string) => {
  const s = stages.find((t) => t.id === id);
  if (!s) throw new Error(`no stage ${id} in ${stages.map((t) => t.id).join(' ')}`);
  return s;
};

describe('one SGD step of 784-30-10, recorded', () => {
  const net = Network.random([784, 30, 10], new Rng(7));
  const clone = new Network([784, 30, 10]);
  clone.params.set(net.params);
  const x = drawing();
  const rec = learnOne(net, x, 3, 3);
  const stages = stepStages(net, rec);

  it('records z, a and δ of every layer as network.py computes them in float64', () => {
    const W2 = rec.before.subarray(0, 30 * 784);
    const b2 = rec.before.subarray(30 * 784, 30 * 785);
    const o3 = 30 * 785;
    const W3 = rec.before.subarray(o3, o3 + 300);
    const b3 = rec.before.subarray(o3 + 300, o3 + 310);
    const z2 = Array.from(b2, (b, j) => W2.subarray(j * 784, (j + 1) * 784).reduce((s, w, k) => s + w * x[k], b));
    const a2 = z2.map(sigmoid64);
    const z3 = Array.from(b3, (b, j) => W3.subarray(j * 30, (j + 1) * 30).reduce((s, w, k) => s + w * a2[k], b));
    const a3 = z3.map(sigmoid64);
    const sp = (a: number) => a * (1 - a);
    const d3 = a3.map((a, j) => (a - (j === 3 ? 1 : 0)) * sp(a)); // BP1, quadratic cost
    const d2 = a2.map((a, k) => d3.reduce((s, d, j) => s + W3[j * 30 + k] * d, 0) * sp(a)); // BP2
    const close = (got: Float32Array | undefined, want: number[]) => {
      expect(got).toBeDefined();
      want.forEach((v, i) => expect(Math.abs(got![i] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    };
    close(find(stages, 'z2').values, z2);
    close(find(stages, 'a2').values, a2);
    close(find(stages, 'z3').values, z3);
    close(find(stages, 'a3').values, a3);
    close(find(stages, 'bp1').values, d3);
    close(find(stages, 'bp2-2').values, d2);
    close(find(stages, 'bp3-2').values, d2); // BP3: ∂C/∂b = δ
    const bp4 = find(stages, 'bp4-2').values; // BP4: ∂C/∂w_jk = a_k δ_j
    for (const [j, k] of [[0, 0], [4, 300], [29, 783], [17, 12 * 28 + 14]]) expect(bp4[j * 784 + k]).toBeCloseTo(x[k] * d2[j], 6);
  });

  it('steps exactly as one updateMiniBatch does, and as network.py would', () => {
    const xm = new Matrix(784, 1, x.slice(), 'col');
    clone.updateMiniBatch(xm, new Matrix(10, 1, oneHot(3), 'col'), 3);
    expect(rec.after).toEqual(clone.params);
    expect(net.params).toEqual(clone.params);
    // and network.py in float64, from the same start
    const ref: RefNet = { sizes: [784, 30, 10], weights: [], biases: [] };
    let o = 0;
    for (const [n, m] of [[784, 30], [30, 10]]) {
      ref.weights.push(Array.from({ length: m }, (_, j) => Array.from(rec.before.subarray(o + j * n, o + (j + 1) * n))));
      ref.biases.push(Array.from(rec.before.subarray(o + m * n, o + m * n + m)));
      o += m * n + m;
    }
    refUpdateMiniBatch(ref, [{ x: Array.from(x), y: Array.from(oneHot(3)) }], 3);
    expect(rec.after[5 * 784 + 400]).toBeCloseTo(ref.weights[0][5][400], 5);
    expect(rec.after[30 * 785 + 9 * 30 + 29]).toBeCloseTo(ref.weights[1][9][29], 5);
  });

  it('has the book\'s stages in order, each formula arriving at its value', () => {
    expect(stages.map((s) => s.id)).toEqual(['input', 'z2', 'a2', 'z3', 'a3', 'cost', 'bp1', 'bp3-3', 'bp4-3', 'bp2-2', 'bp3-2', 'bp4-2', 'w-2', 'b-2', 'w-3', 'b-3', 'after']);
    for (const s of stages) {
      for (const i of [0, s.values.length >> 1, s.values.length - 1]) {
        const e = s.explain(i);
        const want = s.part === 'update' ? rec.after[s.param!(i)] : s.values[i];
        expect(e.value, `${s.id}[${i}]`).toBe(want);
        expect(e.text, `${s.id}[${i}]`).toContain(num(want));
      }
    }
    // the update's numbers: w ← w − η·∂C/∂w with this weight's own
    const w = find(stages, 'w-2');
    const q = 17 * 784 + 14 * 28 + 14;
    expect(w.explain(q).text).toBe(`w²₁₇,₄₀₆ ← ${num(rec.before[q])} − 3·${rec.grads[q] < 0 ? `(${num(rec.grads[q])})` : num(rec.grads[q])} = ${num(rec.after[q])}`);
    expect(find(stages, 'bp1').shape).toMatch(/^BP1 {2}δ³ = \(a³ − y\) ⊙ σ′\(z³\)/);
    expect(rec.costAfter).toBeLessThan(rec.costBefore);
  });

  it('checks a gradient by finite differences, and leaves the stepped weights as they were', () => {
    const bp4 = find(stages, 'bp4-2');
    let big = 0;
    for (let i = 0; i < bp4.values.length; i++) if (Math.abs(bp4.values[i]) > Math.abs(bp4.values[big])) big = i;
    const kept = net.params.slice();
    const g = gradientCheck(net, rec, bp4.param!(big));
    expect(net.params).toEqual(kept);
    expect(g.backprop).toBe(rec.grads[bp4.param!(big)]);
    expect(Math.abs(g.numeric - g.backprop) / Math.abs(g.backprop)).toBeLessThan(1e-2);
  });
});

describe('one SGD step of a convolutional net, recorded', () => {
  const spec = 'conv 4 5x5 relu, pool 2, conv 3 3x3 relu, pool 2, fc 12 relu, softmax 10';
  const net = new LayerStack(spec);
  net.init(new Rng(3));
  const twin = new LayerStack(spec);
  twin.params.set(net.params);
  const x = drawing();
  const rec = learnOne(net, x, 1, 0.1);
  const stages = stepStages(net, rec);

  it('records what forward and backprop compute without the hook', () => {
    const xm = new Matrix(784, 1, x.slice(), 'col');
    const out = twin.forward(xm.data, 1, true);
    expect(rec.layers[rec.layers.length - 1].a).toEqual(out);
    for (let i = 0; i < twin.layers.length - 1; i++) expect(rec.layers[i].a, `layer ${i}`).toEqual(twin.layerOutput(i));
    twin.backprop(xm, new Matrix(10, 1, oneHot(1), 'col'));
    expect(rec.grads).toEqual(twin.grads);
    twin.params.set(rec.before);
    twin.updateMiniBatch(xm, new Matrix(10, 1, oneHot(1), 'col'), 0.1);
    expect(rec.after).toEqual(twin.params);
  });

  it('writes a convolution as kernel times patch plus bias, and routes errors through the pools', () => {
    const z = find(stages, 'z2');
    const q = 2 * 24 * 24 + 10 * 24 + 11; // map 2, row 10, col 11
    const e = z.explain(q);
    let want = rec.before[4 * 25 + 2]; // filter 2's bias
    for (let u = 0; u < 5; u++) for (let t = 0; t < 5; t++) want += rec.before[2 * 25 + u * 5 + t] * x[(10 + u) * 28 + 11 + t];
    expect(e.value).toBeCloseTo(want, 5);
    expect(e.patch!.kernel).toEqual(rec.before.slice(50, 75));
    expect(e.patch!.patch[0]).toBe(x[10 * 28 + 11]);
    expect(e.text).toMatch(/^z²\(map 2, row 10, col 11\) = Σ W²\(filter 2\) ⊙ patch/);
    // a pool's backward stage gives each window's error to its max alone
    const pool = find(stages, 'pool-3');
    let routed = 0;
    for (let i = 0; i < pool.values.length; i++) if (pool.values[i] !== 0) routed++;
    expect(routed).toBeLessThanOrEqual(4 * 12 * 12);
    for (const s of stages) for (const i of [0, s.values.length - 1]) expect(s.explain(i).value, s.id).toBe(s.part === 'update' ? rec.after[s.param!(i)] : s.values[i]);
  });

  it('refuses a label outside the model\'s digits', () => {
    expect(() => learnOne(net, x, 10, 0.1)).toThrow(/label must be a whole number from 0 to 9/);
  });
});

describe('one SGD step of a net with batch norm, frozen', () => {
  const spec = 'conv 4 5x5 linear, pool 2, bn relu, fc 12 linear, bn, softmax 10';
  const net = new LayerStack(spec);
  const rng = new Rng(5);
  net.init(rng);
  const bns = net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  for (const bn of bns) {
    for (let c = 0; c < bn.channels; c++) [bn.runningMean[c], bn.runningVar[c], bn.gamma[c], bn.beta[c]] = [0.2 * rng.gaussian(), 0.3 + rng.uniform(), 1 + 0.3 * rng.gaussian(), 0.1 * rng.gaussian()];
  }
  const state = net.state.slice();
  const x = drawing();
  const rec = learnOne(net, x, 4, 0.1);
  const stages = stepStages(net, rec);

  it('normalises with the running averages, keeps them, and says so in its trace', () => {
    const bn = bns[0];
    const z = find(stages, 'z4');
    const pooled = rec.layers[1].a!;
    const [gamma, beta] = [rec.before.subarray(rec.offsets[2]), rec.before.subarray(rec.offsets[2] + 4)]; // before the step
    for (const q of [0, 5, 2 * 144 + 77, z.values.length - 1]) {
      const c = Math.floor(q / 144);
      const want = gamma[c] * (pooled[q] - bn.runningMean[c]) / Math.sqrt(bn.runningVar[c] + 1e-5) + beta[c];
      expect(z.values[q]).toBeCloseTo(want, 5);
      expect(z.explain(q).text).toContain(`(map ${c}, `);
    }
    expect(Array.from(net.state), 'the running averages are kept').toEqual(Array.from(state));
    expect(bns.every((b) => !b.frozen), 'unfrozen after the step').toBe(true);
    expect(rec.trace.join('\n')).toMatch(/frozen/);
    expect(find(stages, 'a4').values).toEqual(rec.layers[2].a);
  });

  it('has a stage for δ, ∂C/∂γ, ∂C/∂β, the error passed down and the update of γ and β, each formula at its value', () => {
    for (const id of ['bn-delta-4', 'bn-gamma-4', 'bn-beta-4', 'bn-down-4', 'bn-delta-6', 'bn-gamma-6', 'bn-beta-6', 'bn-down-6', 'γ-4', 'β-4', 'γ-6', 'β-6']) find(stages, id);
    // the error bn passes down is γ·δ/√(σ² + ε): a fixed scale per channel
    const down = find(stages, 'bn-down-6');
    const d = rec.layers[4].delta!;
    const bn = bns[1];
    const gamma = rec.before.subarray(rec.offsets[4]);
    for (let j = 0; j < 12; j++) expect(down.values[j]).toBeCloseTo(gamma[j] * d[j] / Math.sqrt(bn.runningVar[j] + 1e-5), 6);
    // ∂C/∂γ of a map: Σ δ·x̂ over its positions
    const g = find(stages, 'bn-gamma-4');
    const first = bns[0];
    let want = 0;
    for (let p = 0; p < 144; p++) want += rec.layers[2].delta![144 + p] * (rec.layers[1].a![144 + p] - first.runningMean[1]) / Math.sqrt(first.runningVar[1] + 1e-5);
    expect(g.values[1]).toBeCloseTo(want, 5);
    for (const s of stages) for (const i of [0, s.values.length - 1]) expect(s.explain(i).value, s.id).toBe(s.part === 'update' ? rec.after[s.param!(i)] : s.values[i]);
  });

  it('agrees with the gradient check: γ, β, and the convolution\'s weights below the batch norm', () => {
    for (const id of ['bn-gamma-4', 'bn-beta-4', 'bn-gamma-6', 'bp4-2', 'bp3-5']) {
      const s = find(stages, id);
      let i = 0;
      for (let q = 0; q < s.values.length; q++) if (Math.abs(s.values[q]) > Math.abs(s.values[i])) i = q;
      const check = gradientCheck(net, rec, s.param!(i));
      expect(Math.abs(check.backprop - check.numeric), id).toBeLessThan(0.02 * Math.abs(check.backprop) + 1e-4);
    }
  });
});

describe('one SGD step of a net with dropout', () => {
  it('agrees with the gradient check: the finite differences take the step\'s own dropout masks', () => {
    const net = new LayerStack('fc 30 relu, dropout 0.5, softmax 10');
    net.init(new Rng(9));
    const rec = learnOne(net, drawing(), 6, 0.1);
    const bp4 = find(stepStages(net, rec), 'bp4-2');
    let checked = 0;
    for (let q = 0; q < bp4.values.length && checked < 5; q += 97) {
      if (Math.abs(bp4.values[q]) < 1e-3) continue;
      const g = gradientCheck(net, rec, bp4.param!(q));
      expect(Math.abs(g.backprop - g.numeric), `weight ${q}`).toBeLessThan(0.02 * Math.abs(g.backprop));
      checked++;
    }
    expect(checked).toBeGreaterThan(2);
    expect(rec.layers[1].a!.some((v) => v === 0), 'some units dropped').toBe(true);
  });
});

describe('formulas and heat maps', () => {
  it('writes a long sum as its largest terms and the rest', () => {
    const s = sumText([{ a: 1, b: 2 }, { a: 0, b: 5 }, { a: -3, b: 1 }, { a: 0.5, b: 0.5 }, { a: 0.1, b: 0.1 }, { a: 2, b: 2 }, { a: 0.01, b: 1 }], 3);
    expect(s.sum).toBeCloseTo(2 - 3 + 0.25 + 0.01 + 4 + 0.01, 12);
    expect(s.text).toBe('2·2 + (−3)·1 + 1·2 + … 3 more terms (0.27) (1 of the 7 terms are 0)');
    expect(num(-0.0000123456)).toBe('−1.235e-5');
  });

  it('places every value on a pixel of its own, and finds it again', () => {
    for (const layout of [{ tiles: 1, c: 1, h: 28, w: 28 }, { tiles: 30, c: 1, h: 28, w: 28 }, { tiles: 40, c: 20, h: 5, w: 5 }, { tiles: 1, c: 1, h: 1, w: 10 }]) {
      const p = place(layout);
      const n = layout.tiles * layout.c * layout.h * layout.w;
      expect(new Set(p.pixel).size).toBe(n);
      for (let i = 0; i < n; i++) expect(p.index[p.pixel[i]]).toBe(i);
      expect(p.index.filter((v) => v >= 0).length).toBe(n);
    }
  });
});
