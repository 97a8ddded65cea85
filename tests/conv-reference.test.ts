// The layer stacks against an independent reference: PyTorch's outputs, cost
// and gradients for the same networks, inputs and parameters
// (tests/fixtures/conv-reference.py made tests/fixtures/conv-reference.json,
// both committed), the way micrograd checks itself against PyTorch.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LayerStack } from '../src/nn/stack.js';
import { expectAllClose } from './reference.js';

interface Case {
  name: string;
  layers: string;
  input: [number, number, number];
  x: number[];
  labels: number[];
  params: number[][];
  output: number[];
  cost: number;
  grads: number[][];
  state: { mean: number[]; var: number[] }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/conv-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('layer stacks against PyTorch (tests/fixtures/conv-reference.json)', () => {
  it('holds both cases', () => expect(fixture.cases.map((c) => c.name)).toEqual(["chapter 6's shape", 'with batch norm']));

  for (const c of fixture.cases) {
    it(`${c.name} (${c.layers}): outputs, cost, every gradient and the running statistics`, () => {
      const [ch, h, w] = c.input;
      const net = new LayerStack(c.layers, { c: ch, h, w });
      // the parameters, array by array in the order the stack keeps them (weights then biases; γ then β)
      expect(net.ranges.length).toBe(c.params.length);
      net.ranges.forEach((r, k) => {
        expect(r.to - r.from).toBe(c.params[k].length);
        net.params.set(c.params[k], r.from);
      });
      const m = c.labels.length;
      const x = Float32Array.from(c.x); // sample after sample, each C×H×W: the same layout
      const y = new Float32Array(net.classes * m);
      c.labels.forEach((label, j) => (y[j * net.classes + label] = 1));
      const out = net.forward(x, m, true);
      expectAllClose(out.subarray(0, net.classes * m), c.output, 1e-6, 1e-5, `${c.name}: outputs`);
      expect(net.cost.fn(out, y, y.length)).toBeCloseTo(c.cost, 5);
      net.backward(out, y, m);
      net.ranges.forEach((r, k) => expectAllClose(net.grads.subarray(r.from, r.to), c.grads[k], 1e-5, 1e-4, `${c.name}: gradient ${k}`));
      expectAllClose(net.state, c.state.flatMap((s) => [...s.mean, ...s.var]), 1e-5, 1e-4, `${c.name}: running statistics`);
    });
  }
});
