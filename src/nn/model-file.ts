// nn/model-file.ts: the model file, one JSON format for the CLI, the library
// and the page. Its keys are network2.py's save() layout (sizes, weights as
// [n_out][n_in], biases as [n_out][1], cost), so a model saved by network2.py
// loads here and one saved here loads there; digitnet adds a format tag, a
// version and training metadata, which network2.py ignores.
// Text in, text out: reading and writing files is src/node's business.

import type { Backend } from '../backend.js';
import { costs, type Cost } from './costs.js';
import { activations, type Activation } from './activations.js';
import { checkSizes, Network } from './network.js';
import { LayerStack } from './stack.js';
import type { Layer } from './layers/index.js';
import { checkMeta, type TrainingMeta } from './model-meta.js';
import { LayerSpecError, type Shape } from './layer-spec.js';
import { preview } from './preview.js';

export { META_LIMITS, type EpochRecord, type TrainingMeta } from './model-meta.js';

export const MODEL_FORMAT = 'digitnet-model';
export const MODEL_VERSION = 1;

/** A model file that cannot be used: the message says which file and why. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** A one-line name for a model: "784-100-10" or its layer description. */
export function describeModel(net: Network | LayerStack): string {
  return net instanceof Network ? net.sizes.join('-') : net.spec;
}

export interface LoadedModel {
  /** The fully-connected network of chapters 1–3, or a layer stack (chapter 6: convolutions). */
  network: Network | LayerStack;
  meta: TrainingMeta | null;
}

/** The shortest decimal that reads back as the same float32 (e.g. 0.1, not 0.10000000149011612). */
export function float32ToString(v: number): string {
  for (let p = 6; p < 9; p++) {
    const s = Number(v.toPrecision(p)).toString();
    if (Math.fround(Number(s)) === v) return s;
  }
  return Number(v.toPrecision(9)).toString();
}

function matrixJson(data: Float32Array, rows: number, cols: number): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row: string[] = [];
    for (let j = 0; j < cols; j++) row.push(float32ToString(data[i * cols + j]));
    out.push(`[${row.join(',')}]`);
  }
  return `[${out.join(',')}]`;
}

/**
 * The model file text for a network (and, for a training run, its metadata).
 * A layer stack is written the same way, with "layers" and "input" in place of
 * "sizes": one weight matrix and one bias column per layer with parameters
 * (a convolution's kernels as maps × (channels·k·k) rows).
 */
export function serializeModel(net: LayerStack, meta: TrainingMeta | null = null): string {
  const weights: string[] = [];
  const biases: string[] = [];
  const state: string[] = [];
  for (const { layer, params, at } of modelArrays(net)) {
    if (layer.paramCount > 0) {
      const [w, b] = layer.groups;
      weights.push(matrixJson(net.params.subarray(params, params + w.rows * w.cols), w.rows, w.cols));
      biases.push(matrixJson(net.params.subarray(params + w.rows * w.cols, params + layer.paramCount), b.rows, 1));
    }
    if (layer.stateGroups.length) {
      let k = at;
      const fields = layer.stateGroups.map((g) => {
        const values = Array.from(net.state.subarray(k, k + g.length), float32ToString);
        k += g.length;
        return `${JSON.stringify(g.name)}: [${values.join(',')}]`;
      });
      state.push(`{${fields.join(', ')}}`);
    }
  }
  const shape = net instanceof Network
    ? [`"sizes": ${JSON.stringify(net.sizes)}`, `"cost": ${JSON.stringify(net.costName)}`, `"activation": ${JSON.stringify(net.activation.name)}`, `"output": ${JSON.stringify(net.output)}`]
    : [`"layers": ${JSON.stringify(net.spec)}`, `"input": ${JSON.stringify([net.image.c, net.image.h, net.image.w])}`, `"cost": ${JSON.stringify(net.costName)}`];
  const lines = [
    `"format": ${JSON.stringify(MODEL_FORMAT)}`,
    `"version": ${MODEL_VERSION}`,
    ...shape,
    `"meta": ${JSON.stringify(meta)}`,
    `"weights": [\n${weights.join(',\n')}\n]`,
    `"biases": [\n${biases.join(',\n')}\n]`,
    ...(state.length ? [`"state": [\n${state.join(',\n')}\n]`] : []),
  ];
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** The deepest nesting a model file may have (it needs 4: the weights' rows, or meta.history's entries). */
const MAX_NESTING = 8;

/**
 * How deeply the JSON text's arrays and objects nest, counted up to `limit` + 1
 * (one pass, strings skipped), so that a hostile file is refused before
 * JSON.parse spends seconds and gigabytes on it.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Reads a model file's text (`name` is used in messages), validating every
 * field, into arrays of `backend` (default: the selected one, backend.ts).
 */
export function parseModel(text: string, name: string, backend?: Backend): LoadedModel {
  const fail = (what: string): never => {
    throw new ModelFileError(`${name}: ${what}`);
  };
  const depth = nestingDepth(text, MAX_NESTING);
  if (depth > MAX_NESTING) fail(`not a model file: its JSON is nested more than ${MAX_NESTING} levels deep (a model file needs 4)`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(`not a model file: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('not a model file: expected a JSON object');
  const d = doc as Record<string, unknown>;
  if ('format' in d && d.format !== MODEL_FORMAT) fail(`format is ${preview(d.format)}, expected "${MODEL_FORMAT}"`);
  if ('version' in d && (typeof d.version !== 'number' || d.version > MODEL_VERSION)) {
    fail(`format version ${preview(d.version)} is newer than this digitnet reads (${MODEL_VERSION}); update digitnet`);
  }

  if ('layers' in d) return parseStack(d, fail, backend);
  const sizes = d.sizes;
  if (!Array.isArray(sizes)) fail('"sizes" (or "layers") is missing or not a list such as [784, 30, 10]');
  try {
    checkSizes(sizes as number[]); // sane sizes before anything is allocated
  } catch (err) {
    fail((err as Error).message);
  }
  const s = sizes as number[];

  let cost: Cost = costs.QuadraticCost;
  if ('cost' in d) {
    const known = costs[d.cost as Cost['name']];
    if (!known) fail(`cost ${preview(d.cost)} is unknown; expected one of ${Object.keys(costs).join(', ')}`);
    cost = known;
  }

  let activation: Activation = activations.sigmoid;
  if ('activation' in d) {
    const known = activations[d.activation as Activation['name']];
    if (!known) fail(`activation ${preview(d.activation)} is unknown; expected one of ${Object.keys(activations).join(', ')}`);
    activation = known;
  }
  if ('output' in d && d.output !== cost.output) {
    fail(`output ${preview(d.output)} does not go with ${cost.name}, whose output layer is ${cost.output}`);
  }

  const network = new Network(s, { cost, activation, backend });
  const layers = s.length - 1;
  const readLayers = (key: 'weights' | 'biases') => {
    const v = d[key];
    if (!Array.isArray(v) || v.length !== layers) {
      fail(`"${key}" must be a list of ${layers} matrices for sizes ${s.join('-')}`);
    }
    return v as unknown[];
  };
  const weights = readLayers('weights');
  const biases = readLayers('biases');
  for (let l = 0; l < layers; l++) {
    readMatrix(weights[l], network.weights[l].data, s[l + 1], s[l], `weights[${l}]`, fail);
    readMatrix(biases[l], network.biases[l].data, s[l + 1], 1, `biases[${l}]`, fail);
  }
  const meta = d.meta === undefined || d.meta === null ? null : checkMeta(d.meta, fail);
  return { network, meta };
}

/** A layer stack's file: "layers", "input", then weights and biases for each layer that has them. */
function parseStack(d: Record<string, unknown>, fail: (what: string) => never, backend: Backend | undefined): LoadedModel {
  if (typeof d.layers !== 'string') fail('"layers" must be a description such as "conv 20 5x5 relu, pool 2, fc 100 relu, softmax 10"');
  const dims = d.input ?? [1, 28, 28];
  if (!Array.isArray(dims) || dims.length !== 3 || !dims.every((v) => Number.isInteger(v) && v >= 1 && v <= 4096)) {
    fail('"input" must be [channels, height, width], e.g. [1, 28, 28]');
  }
  const [c, h, w] = dims as number[];
  const image: Shape = { c, h, w };
  let stack: LayerStack | null = null;
  try {
    stack = new LayerStack(d.layers as string, image, backend);
  } catch (err) {
    if (err instanceof LayerSpecError) fail(`"layers": ${err.message}`);
    throw err;
  }
  const net = stack!;
  if ('cost' in d && d.cost !== net.costName) {
    const known = costs[d.cost as Cost['name']];
    if (!known || known.output !== net.output) fail(`cost ${preview(d.cost)} does not go with the ${net.output} output layer; it takes ${Object.values(costs).filter((c) => c.output === net.output).map((c) => c.name).join(' or ')}`);
    net.cost = known;
  }
  const arrays = modelArrays(net);
  const withParams = arrays.filter((a) => a.layer.paramCount > 0).length;
  const withState = arrays.filter((a) => a.layer.stateGroups.length > 0).length;
  const list = (key: 'weights' | 'biases' | 'state', count: number, what: string) => {
    const v = d[key];
    if (!Array.isArray(v) || v.length !== count) fail(`"${key}" must be a list of ${count} ${what}`);
    return v as unknown[];
  };
  const weights = list('weights', withParams, 'matrices, one per layer with parameters');
  const biases = list('biases', withParams, 'matrices, one per layer with parameters');
  const states = withState ? list('state', withState, 'objects, one per batch-norm layer (its running "mean" and "var")') : [];
  let k = 0;
  let j = 0;
  for (const { layer: l, params, at } of arrays) {
    if (l.paramCount > 0) {
      const [w, b] = l.groups;
      readMatrix(weights[k], net.params.subarray(params, params + w.rows * w.cols), w.rows, w.cols, `weights[${k}] (${l.describe})`, fail);
      readMatrix(biases[k], net.params.subarray(params + w.rows * w.cols, params + l.paramCount), b.rows, 1, `biases[${k}] (${l.describe})`, fail);
      k++;
    }
    if (l.stateGroups.length) {
      const o = states[j] as Record<string, unknown>;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(`state[${j}] (${l.name}) must be an object of lists`);
      let a = at;
      for (const g of l.stateGroups) {
        readMatrix(Array.isArray(o[g.name]) ? (o[g.name] as unknown[]).map((x) => [x]) : o[g.name], net.state.subarray(a, a + g.length), g.length, 1, `state[${j}].${g.name} (${l.name})`, fail);
        a += g.length;
      }
      j++;
    }
  }
  const meta = d.meta === undefined || d.meta === null ? null : checkMeta(d.meta, fail);
  return { network: net, meta };
}

/** Each layer with its parameters' and state's offsets in the stack's buffers: the one walk the file format makes. */
function modelArrays(net: LayerStack): { layer: Layer; params: number; at: number }[] {
  let params = 0;
  let at = 0;
  return net.layers.map((layer) => {
    const entry = { layer, params, at };
    params += layer.paramCount;
    for (const g of layer.stateGroups) at += g.length;
    return entry;
  });
}

function readMatrix(
  v: unknown, out: Float32Array, rows: number, cols: number, label: string, fail: (what: string) => never,
): void {
  if (!Array.isArray(v) || v.length !== rows) fail(`${label} must have ${rows} rows of ${cols} (shape ${rows}×${cols})`);
  const r = v as unknown[];
  for (let i = 0; i < rows; i++) {
    const row = r[i];
    if (!Array.isArray(row) || row.length !== cols) {
      fail(`${label}[${i}] must be a list of ${cols} numbers (shape ${rows}×${cols})`);
    }
    for (let j = 0; j < cols; j++) {
      const x = (row as unknown[])[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${label}[${i}][${j}] is ${preview(x)}, not a finite number`);
      const f = Math.fround(x as number);
      if (!Number.isFinite(f)) fail(`${label}[${i}][${j}] is ${x}, beyond the range of a 32-bit float (±3.4e38)`);
      out[i * cols + j] = f;
    }
  }
}

