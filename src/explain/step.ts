// explain/step.ts: the backprop explorer's numbers. One step of mini-batch
// SGD on one example (m = 1), run by the same updateMiniBatch that trains,
// with the stack's trace hook (LayerStack.setProbe) copying every z, a, ∂C/∂a and
// δ as the layers make them; the parameters before and after, the gradients,
// and the outputs and cost before and after. Nothing here computes a value of
// the network a second way: the stages (explain/stages.ts) only read this.
// Batch norm is frozen for the step (nn/layers/batch-norm.ts): one example is
// no batch to take statistics of, so it normalises with the running averages
// of training, as the model does when it reads a drawing, and keeps them.

import { tsBackend } from '../backend.js';
import { Dropout } from '../nn/layers/index.js';
import { parseModel } from '../nn/model-file.js';
import { Network } from '../nn/network.js';
import { makeOptimizer } from '../nn/optimizers/index.js';
import type { LayerStack } from '../nn/stack.js';
import { Rng } from '../rng.js';

/**
 * A model file made ready to explore: its network, with the update rule it
 * was trained with (plain SGD with its λ, momentum or Adam, starting from rest),
 * and its own last η (chapter 1's 3, or chapter 6's 0.03, if the file does not
 * say). `reset()` puts back the file's weights and a rule at rest, so one
 * parse serves every "Learn this".
 */
export function explorerModel(text: string, name: string): { stack: LayerStack; eta: number; reset(): void } {
  // on the TypeScript kernels, whatever reads the drawings: the explorer shows what
  // the readable reference code computes (kernels/gemm.ts), value for value
  const { network, meta } = parseModel(text, name, tsBackend);
  const settings = { name: meta?.optimizer ?? 'sgd', lambda: meta?.lambda ?? 0, n: meta?.trainSize ?? 1, momentum: meta?.momentum ?? 0 };
  const start = network.params.slice();
  const reset = () => {
    network.params.set(start);
    network.optimizer = makeOptimizer(settings);
  };
  reset();
  return { stack: network, eta: meta?.eta ?? (network instanceof Network ? 3 : 0.03), reset };
}

/** Dropout's masks for a step: drawn from a generator of their own, seeded, so the same example gives the same step (and the gradient check the same masks). */
const stepMasks = () => new Rng(1);

/** What one layer made during the step: z (layers with weights), a, and on the way down ∂C/∂a (dy) and δ = ∂C/∂z. */
export interface LayerValues {
  z?: Float32Array;
  a?: Float32Array;
  dy?: Float32Array;
  delta?: Float32Array;
}

export interface StepRecord {
  /** The example: its C·H·W input values and its digit. */
  input: Float32Array;
  label: number;
  /** y, the desired output: one-hot for the label. */
  y: Float32Array;
  eta: number;
  /** What each layer made (index as stack.layers). */
  layers: LayerValues[];
  /** The --debug-shapes lines of the step. */
  trace: string[];
  /** The parameter buffer before and after the update, and ∂C/∂(each parameter) for this example. */
  before: Float32Array;
  after: Float32Array;
  grads: Float32Array;
  /** The outputs aᴸ and the cost C of the example (the model reading it, no dropout) before and after the step. */
  outputsBefore: Float32Array;
  outputsAfter: Float32Array;
  costBefore: number;
  costAfter: number;
  /** The update rule as the trace writes it ("SGD  w ← w − (η/m)·∇w …"). */
  rule: string;
  /** Where each layer's parameters start in the buffer. */
  offsets: number[];
  /** How long the step took, in ms (the page says whether it needs a worker). */
  ms: number;
}

/**
 * One SGD step of `stack` on one example (input: C·H·W values in [0, 1];
 * label: its digit) with learning rate η and the stack's own cost and
 * optimizer, recorded. The stack is updated, as training would update it,
 * but for batch norm's running averages, which it uses and keeps.
 */
export function learnOne(stack: LayerStack, input: ArrayLike<number>, label: number, eta: number): StepRecord {
  return stack.frozenBatchNorm(() => recordStep(stack, input, label, eta));
}

function recordStep(stack: LayerStack, input: ArrayLike<number>, label: number, eta: number): StepRecord {
  if (input.length !== stack.inputSize) throw new RangeError(`learnOne: the input has ${input.length} values; the model takes ${stack.inputSize}`);
  if (!Number.isInteger(label) || label < 0 || label >= stack.classes) throw new RangeError(`learnOne: the label must be a whole number from 0 to ${stack.classes - 1}; got ${label}`);
  if (!(eta > 0) || !Number.isFinite(eta)) throw new RangeError(`learnOne: η must be a positive number; got ${eta}`);
  const started = performance.now();
  const x = stack.input(1);
  x.data.set(input);
  const y = stack.target(1);
  y.data.fill(0);
  y.data[label] = 1;
  const read = () => {
    const out = stack.forward(x.data, 1).slice();
    return { out, cost: stack.cost.fn(out, y.data, out.length) };
  };
  const first = read();
  const before = stack.params.slice();
  const layers: LayerValues[] = stack.layers.map(() => ({}));
  const trace: string[] = [];
  if (stack.layers.some((l) => l instanceof Dropout && l.p > 0)) stack.dropoutRng = stepMasks();
  stack.setProbe((i, what, values) => {
    layers[i][what] = values.slice();
  });
  try {
    stack.updateMiniBatch(x, y, eta, (line) => trace.push(line));
  } finally {
    stack.setProbe(null);
  }
  const grads = stack.grads.slice();
  const after = stack.params.slice();
  const second = read();
  const offsets: number[] = [];
  let at = 0;
  for (const l of stack.layers) {
    offsets.push(at);
    at += l.paramCount;
  }
  return {
    input: Float32Array.from(input), label, y: y.data.slice(), eta, layers, trace, before, after, grads,
    outputsBefore: first.out, outputsAfter: second.out, costBefore: first.cost, costAfter: second.cost,
    rule: `${stack.optimizer.label}  ${stack.optimizer.text()}`, offsets, ms: performance.now() - started,
  };
}

export interface GradientCheck {
  /** ∂C/∂w from backpropagation, and (C(w + ε) − C(w − ε)) / 2ε from two forward passes. */
  backprop: number;
  numeric: number;
  eps: number;
  costPlus: number;
  costMinus: number;
}

/**
 * The gradient check for parameter p of the step: backprop's ∂C/∂w beside the
 * finite difference of the cost at the parameters before the step, computed
 * now with two forward passes of the network the step differentiated: the
 * same dropout masks (drawn again from a generator seeded as learnOne seeds
 * it) and batch norm frozen. The stack's parameters are put back after.
 */
export function gradientCheck(stack: LayerStack, rec: StepRecord, p: number, eps = 1e-3): GradientCheck {
  if (!(p >= 0 && p < stack.params.length)) throw new RangeError(`gradientCheck: no parameter ${p}`);
  const kept = stack.params.slice();
  const x = stack.input(1);
  x.data.set(rec.input);
  const cost = (w: number) => {
    stack.params.set(rec.before);
    stack.params[p] = w;
    const out = stack.frozenBatchNorm(() => stack.forward(x.data, 1, true, stepMasks()));
    return stack.cost.fn(out, rec.y, out.length);
  };
  try {
    // ε in float32 steps: the parameter moves by exactly what the division assumes
    const w = rec.before[p];
    const up = Math.fround(w + eps);
    const down = Math.fround(w - eps);
    const costPlus = cost(up);
    const costMinus = cost(down);
    return { backprop: rec.grads[p], numeric: (costPlus - costMinus) / (up - down), eps, costPlus, costMinus };
  } finally {
    stack.params.set(kept);
  }
}
