// web/app.ts: the page: draw a digit, see the 28×28 image the network gets,
// its guess and how sure it is, which hidden neurons light up, and the
// shapes of the tensors of that forward pass. Inference runs on the same
// Float32Array core as training (src/), in the page itself.

import { strokesToInput, SIDE, type Stroke } from '../src/draw/preprocess.js';
import { selectBackend } from '../src/backend.js';
import { describeModel, parseModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { Conv, Dense } from '../src/nn/layers/index.js';
import { LayerStack } from '../src/nn/stack.js';
import type { Matrix } from '../src/tensor/matrix.js';
import { Pad } from './pad.js';
import type { ModelEntry } from '../src/node/models.js'; // the server's listing (a type only: nothing of Node reaches the page)
import { FINE_TUNE } from './fine-tune.js';
import { PRESETS, type StackPreset } from '../src/nn/presets.js';
import type { FineTuneRequest, TrainMessage, TrainRequest } from './train-worker.js';
import { startExplorer } from './explain.js';


/** Below this probability for the top class the page says it is not sure. */
const SURE = 0.6;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const prediction = $<HTMLDivElement>('prediction');
const status = $<HTMLDivElement>('status');
const bars = $<HTMLDivElement>('bars');
const preview = $<HTMLCanvasElement>('preview');
const picker = $<HTMLSelectElement>('model-picker');
const message = $<HTMLDivElement>('message');
const unusableNote = $<HTMLDetailsElement>('unusable');
const hidden = $<HTMLDivElement>('hidden');
const hiddenPanel = $<HTMLDetailsElement>('hidden-panel');
const convPanel = $<HTMLDetailsElement>('conv-panel');
const convNote = $<HTMLParagraphElement>('conv-note');
const filters = $<HTMLDivElement>('conv-filters');
const maps = $<HTMLDivElement>('conv-maps');
const shapes = $<HTMLPreElement>('shapes');

/** What the end-to-end tests read besides the page itself. */
const state = {
  ready: false,
  model: null as string | null,
  predictions: 0,
  lastInput: null as number[] | null,
  /** The digit the model read last (null on an empty pad). */
  lastReading: null as number | null,
  /** The detector flagged the last drawing as no digit. */
  notADigit: false,
  lastLatencyMs: null as number | null,
  /** The kernels that read drawings: 'wasm' (WebAssembly SIMD) where the browser has it, else 'ts'. */
  kernels: null as string | null,
  training: { running: false, done: false, error: null as string | null, epochs: [] as { epoch: number; accuracy: number; cost: number }[], model: null as string | null },
};
(window as unknown as { digitnetPage: typeof state }).digitnetPage = state;

let net: Network | LayerStack | null = null;
/** The "is this a digit at all?" network (web/detector/) and its threshold on P(not a digit), once loaded. */
let detector: { net: Network | LayerStack; threshold: number } | null = null;
/** The model file text of `net`, for fine-tuning. */
let netJson: string | null = null;
let hiddenCanvases: HTMLCanvasElement[] = [];

// ---- the ten bars
const barFill: HTMLSpanElement[] = [];
const barText: HTMLSpanElement[] = [];
for (let d = 0; d < 10; d++) {
  const label = document.createElement('span');
  label.textContent = String(d);
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.dataset.testid = `bar-${d}`;
  const fill = document.createElement('span');
  bar.append(fill);
  const text = document.createElement('span');
  bars.append(label, bar, text);
  barFill.push(fill);
  barText.push(text);
}

function showProbabilities(p: number[] | null): void {
  for (let d = 0; d < 10; d++) {
    const v = p ? p[d] : 0;
    barFill[d].style.width = `${(100 * v).toFixed(1)}%`;
    barFill[d].parentElement!.dataset.value = v.toFixed(4);
    barText[d].textContent = p ? `${(100 * v).toFixed(0)}%` : '';
  }
}

/**
 * The output as probabilities: a softmax output layer gives them already; for
 * sigmoid outputs, the softmax of the output neurons' weighted inputs z = ln(a / (1 − a)).
 */
function probabilities(a: Float32Array, output: 'sigmoid' | 'softmax'): number[] {
  if (output === 'softmax') return Array.from(a);
  const z = Array.from(a, (v) => {
    const c = Math.min(Math.max(v, 1e-7), 1 - 1e-7);
    return Math.log(c / (1 - c));
  });
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

function showPreview(input: Float32Array | null): void {
  const ctx = preview.getContext('2d')!;
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = input ? Math.round(255 * input[i]) : 0;
    img.data[4 * i] = v;
    img.data[4 * i + 1] = v;
    img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---- the hidden neurons of a fully-connected first layer
/** The first layer's weights when it is fully connected to the 784 pixels (rows × 784), its biases and activation. */
function firstDense(network: Network | LayerStack): { w: Matrix; b: Float32Array; f: string } | null {
  const first = network.layers[0];
  if (first instanceof Dense && first !== network.layers[network.layers.length - 1] && first.f !== 'softmax') {
    return { w: first.w, b: first.b.data, f: first.f.name };
  }
  return null;
}

function showHiddenWeights(network: Network | LayerStack): void {
  hidden.replaceChildren();
  hiddenCanvases = [];
  const dense = firstDense(network);
  hiddenPanel.hidden = dense === null;
  showFilters(network);
  if (!dense || dense.w.cols !== SIDE * SIDE) return;
  const { w } = dense;
  for (let i = 0; i < w.rows; i++) {
    const c = document.createElement('canvas');
    c.width = SIDE;
    c.height = SIDE;
    c.title = `hidden neuron ${i + 1}`;
    drawSigned(c, w.data.subarray(i * w.cols, (i + 1) * w.cols), SIDE, SIDE);
    hidden.append(c);
    hiddenCanvases.push(c);
  }
}

/** Paints values as an image: red positive, blue negative, scaled by the largest magnitude. */
function drawSigned(c: HTMLCanvasElement, v: ArrayLike<number>, width: number, height: number): void {
  let max = 1e-6;
  for (let j = 0; j < v.length; j++) max = Math.max(max, Math.abs(v[j]));
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  for (let j = 0; j < width * height; j++) {
    const x = v[j] / max;
    img.data[4 * j] = x > 0 ? Math.round(255 * x) : 0;
    img.data[4 * j + 1] = 0;
    img.data[4 * j + 2] = x < 0 ? Math.round(-255 * x) : 0;
    img.data[4 * j + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function showHiddenActivations(network: Network | LayerStack, input: Float32Array | null): void {
  const dense = firstDense(network);
  if (!dense) return;
  const { w, b, f } = dense;
  hiddenCanvases.forEach((c, i) => {
    if (!input) {
      c.style.borderColor = 'transparent';
      return;
    }
    let z = b[i];
    for (let j = 0; j < w.cols; j++) z += w.get(i, j) * input[j];
    // how much this neuron fires: its activation, squashed into [0, 1] for the frame
    const a = f === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : f === 'tanh' ? (Math.tanh(z) + 1) / 2 : Math.tanh(Math.max(0, z));
    c.style.borderColor = `rgba(250, 204, 21, ${a.toFixed(3)})`;
    c.dataset.activation = a.toFixed(4);
  });
}

// ---- a convolutional first layer: its filters, and their feature maps for the drawing
let mapCanvases: HTMLCanvasElement[] = [];

function showFilters(network: Network | LayerStack): void {
  filters.replaceChildren();
  maps.replaceChildren();
  mapCanvases = [];
  const conv = network.layers[0] instanceof Conv ? network.layers[0] : null;
  convPanel.hidden = conv === null;
  if (!conv) return;
  const { k, maps: count, w } = conv;
  const { h, w: width } = conv.output;
  convNote.textContent =
    `${conv.describe}: ${count} filters of ${k}×${k} weights (red positive, blue negative), each slid over the 28×28 image; ` +
    `below, the ${h}×${width} feature map each one makes of your drawing (${conv.f.name}, brighter is stronger).`;
  for (let i = 0; i < count; i++) {
    const c = document.createElement('canvas');
    c.width = k;
    c.height = k;
    c.title = `filter ${i + 1}`;
    c.dataset.testid = 'conv-filter';
    drawSigned(c, w.data.subarray(i * w.cols, i * w.cols + k * k), k, k); // channel 0: the image
    filters.append(c);
    const m = document.createElement('canvas');
    m.width = width;
    m.height = h;
    m.title = `feature map ${i + 1}`;
    m.dataset.testid = 'conv-map';
    maps.append(m);
    mapCanvases.push(m);
  }
}

/** After a prediction with a conv model: each feature map of the first layer, as grey levels. */
function showFeatureMaps(network: LayerStack | null, input: Float32Array | null): void {
  if (!network || mapCanvases.length === 0) return;
  const conv = network.layers[0] as Conv;
  const P = conv.output.h * conv.output.w;
  const a = input ? network.layerOutput(0) : null;
  let max = 1e-6;
  if (a) for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  mapCanvases.forEach((c, f) => {
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(c.width, c.height);
    let sum = 0;
    for (let p = 0; p < P; p++) {
      const v = a ? Math.round((255 * Math.abs(a[f * P + p])) / max) : 0;
      sum += v;
      img.data[4 * p] = v;
      img.data[4 * p + 1] = v;
      img.data[4 * p + 2] = v;
      img.data[4 * p + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    c.dataset.mean = (sum / P / 255).toFixed(4);
  });
}

// ---- reading the pad
function read(strokes: readonly Stroke[]): void {
  const started = performance.now();
  const input = strokesToInput(strokes);
  showPreview(input);
  if (!net || !input) {
    prediction.textContent = '';
    status.textContent = net ? 'Draw a digit in the box.' : 'No model loaded: pick one above.';
    showProbabilities(null);
    if (net) showHiddenActivations(net, null);
    showFeatureMaps(net, null);
    state.lastInput = null;
    state.lastReading = null;
    return;
  }
  const lines: string[] = [];
  const x = net.input(1);
  x.data.set(input);
  const trace = (line: string) => lines.push(line);
  const out = net.forward(x.data, 1, false, null, trace);
  const p = probabilities(out, net.output);
  const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
  const [top, second] = order;
  state.lastLatencyMs = performance.now() - started;
  prediction.textContent = String(top);
  // a drawing unlike any digit: the digit network still names one, so a second network says whether it is a digit at all
  const notDigit = detector ? detector.net.predict(input).output[1] : 0;
  state.notADigit = detector !== null && notDigit > detector.threshold;
  status.textContent = state.notADigit
    ? `That does not look like a digit (closest: ${top})`
    : p[top] >= SURE ? `${(100 * p[top]).toFixed(0)}% sure` : `Not sure: ${top} or ${second}?`;
  prediction.style.opacity = p[top] >= SURE && !state.notADigit ? '1' : '0.5';
  showProbabilities(p);
  showHiddenActivations(net, input);
  showFeatureMaps(net, input);
  shapes.textContent = (net instanceof Network ? [`input    a¹ = x (${SIDE * SIDE}×1): your drawing, 28×28 as one column`, ...lines] : lines).join('\n');
  state.predictions++;
  state.lastInput = Array.from(input);
  state.lastReading = top;
}

// while drawing: at most one reading per animation frame; at the end of a stroke: at once
let pending = false;
let latest: readonly Stroke[] = [];
const pad = new Pad($<HTMLCanvasElement>('pad'), (strokes, final) => {
  latest = strokes;
  if (final) {
    read(strokes);
    return;
  }
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    read(latest);
  });
});

$('clear').addEventListener('click', () => pad.clear());
$('undo').addEventListener('click', () => pad.undo());
window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement) return;
  if (e.key === 'Escape' || e.key === 'c') pad.clear();
  else if ((e.key === 'z' && (e.ctrlKey || e.metaKey)) || e.key === 'u') {
    e.preventDefault();
    pad.undo();
  }
});

// ---- models
/** Loads a model; true if it is now the one in use. */
async function loadModel(entry: ModelEntry): Promise<boolean> {
  message.textContent = '';
  try {
    const res = await fetch(entry.url);
    if (!res.ok) throw new Error(`${entry.name}: HTTP ${res.status} ${res.statusText}`.trim());
    const text = await res.text();
    const { network } = parseModel(text, entry.name);
    if (network.inputSize !== SIDE * SIDE || network.classes !== 10) {
      throw new Error(`${entry.name} is a ${describeModel(network)} network; the page needs 784 inputs (28×28) and 10 outputs`);
    }
    net = network;
    netJson = text;
    state.model = entry.url;
    picker.value = entry.url;
    showHiddenWeights(network);
    read(pad.strokes);
    return true;
  } catch (err) {
    message.textContent = `Could not use that model: ${(err as Error).message}.${net ? ' Still using the one before.' : ''}`;
    if (state.model) picker.value = state.model;
    return false;
  }
}

/** Loads the detector; without it the page reads as before (a message says so). */
async function loadDetector(): Promise<void> {
  try {
    const [model, limit] = await Promise.all(['/detector/not-a-digit.json', '/detector/threshold.json'].map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return res.text();
    }));
    const threshold = (JSON.parse(limit) as { threshold: unknown }).threshold;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) throw new Error('threshold.json: no threshold between 0 and 1');
    detector = { net: parseModel(model, 'not-a-digit.json').network, threshold };
  } catch (err) {
    detector = null;
    message.textContent = `The not-a-digit check is off (${(err as Error).message}).`;
  }
}

async function start(): Promise<void> {
  // WebAssembly SIMD reads a drawing with the default conv net six to eight times as fast
  // as the TypeScript kernels (docs/page.md); where the engine lacks SIMD or refuses the module, 'ts'
  state.kernels = await selectBackend('auto').then((b) => b.name, () => 'ts');
  await loadDetector();
  let models: ModelEntry[] = [];
  try {
    const res = await fetch('/models/index.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    models = await res.json();
  } catch (err) {
    message.textContent = `Could not list the models (${(err as Error).message}); is npm start running?`;
  }
  const wanted = new URLSearchParams(location.search).get('model');
  if (wanted && !models.some((m) => m.url === wanted)) {
    models.unshift({ url: wanted, name: wanted, source: 'trained', sizes: null, layers: null, accuracy: null, evaluatedOn: null, modified: 0, error: null });
  }
  picker.replaceChildren(
    ...models.map((m) => {
      const o = document.createElement('option');
      o.value = m.url;
      const acc = m.accuracy !== null ? `, ${(100 * m.accuracy).toFixed(2)}% on ${m.evaluatedOn}` : '';
      const shape = m.layers ?? m.sizes?.join('-');
      const what = shape ? ` (${shape}${acc})` : '';
      o.textContent = m.error ? `${m.name}: unusable` : `${m.source === 'default' ? 'default: ' : ''}${m.name}${what}`;
      o.title = m.error ?? `${m.name}${what}`;
      o.disabled = m.error !== null;
      return o;
    }),
  );
  // why a file cannot be used: below the picker, short, one line each
  const unusable = models.filter((m) => m.error);
  unusableNote.hidden = unusable.length === 0;
  unusableNote.replaceChildren(
    Object.assign(document.createElement('summary'), { textContent: `${unusable.length} file${unusable.length === 1 ? '' : 's'} in data/models cannot be used` }),
    ...unusable.map((m) => Object.assign(document.createElement('div'), { textContent: `${m.name}: ${m.error}` })),
  );
  picker.onchange = () => {
    if (picker.value === 'browser:trained' && state.training.model) {
      const last = state.training.epochs[state.training.epochs.length - 1];
      useTrainedModel(state.training.model, last.epoch, last.accuracy);
      return;
    }
    const entry = models.find((m) => m.url === picker.value);
    if (entry) void loadModel(entry);
  };
  if (wanted) {
    await loadModel(models.find((m) => m.url === wanted)!);
  } else {
    // the newest usable model; one that turns out unusable gives way to the next
    for (const m of models.filter((e) => !e.error)) {
      const kept = message.textContent;
      if (await loadModel(m)) {
        if (kept) message.textContent = kept;
        break;
      }
    }
  }
  read(pad.strokes);
  state.ready = true;
}

// ---- training in the page
const trainButton = $<HTMLButtonElement>('train');
const stopButton = $<HTMLButtonElement>('train-stop');
const trainProgress = $<HTMLProgressElement>('train-progress');
const trainLog = $<HTMLPreElement>('train-log');
const trainSpeed = $<HTMLDivElement>('train-speed');
const sizeField = $<HTMLInputElement>('train-size');
/** The stop flag the worker reads between mini-batches (shared memory, so it is seen while the worker trains). */
let stopFlag: Int32Array | null = null;
const chart = $<HTMLCanvasElement>('train-chart');
let trainer: Worker | null = null;

function drawChart(): void {
  const ctx = chart.getContext('2d')!;
  const { width: w, height: h } = chart;
  const pts = state.training.epochs;
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#888';
  const last = pts.length ? `: ${(100 * pts[pts.length - 1].accuracy).toFixed(1)}% after epoch ${pts[pts.length - 1].epoch}` : '';
  ctx.fillText(`test accuracy (blue, 0–100%)${last}; cost (orange) per epoch`, 8, 14);
  if (pts.length === 0) return;
  const left = 30;
  const x = (i: number) => left + ((w - left - 10) * (pts.length === 1 ? 0.5 : i / (pts.length - 1)));
  const maxCost = Math.max(...pts.map((p) => p.cost), 1e-9);
  const line = (color: string, y: (i: number) => number) => {
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach((_, i) => (i === 0 ? ctx.moveTo(x(i), y(i)) : ctx.lineTo(x(i), y(i))));
    ctx.stroke();
    pts.forEach((_, i) => ctx.fillRect(x(i) - 2, y(i) - 2, 4, 4));
  };
  line('#2563eb', (i) => h - 20 - (h - 40) * pts[i].accuracy);
  line('#ea580c', (i) => h - 20 - (h - 40) * (pts[i].cost / maxCost));
  ctx.fillStyle = '#888';
  ctx.fillText('epoch', w / 2, h - 4);
}

function useTrainedModel(json: string, epoch: number, accuracy: number, partial = false): void {
  const { network } = parseModel(json, 'trained in the browser');
  net = network;
  netJson = json;
  const url = 'browser:trained';
  let option = [...picker.options].find((o) => o.value === url);
  if (!option) {
    option = document.createElement('option');
    option.value = url;
    picker.prepend(option);
  }
  option.textContent = `trained here (${describeModel(network)}, ${partial ? 'stopped in ' : ''}epoch ${epoch}, ${(100 * accuracy).toFixed(2)}% on test)`;
  picker.value = url;
  state.model = url;
  showHiddenWeights(network);
  read(pad.strokes);
}

function numberField(id: string): number {
  return Number($<HTMLInputElement>(id).value);
}

/** Runs a training or fine-tuning request in a fresh worker, showing its progress. */
function runWorker(request: TrainRequest | FineTuneRequest, epochs: number, onDone: () => void = () => {}): void {
  trainer?.terminate();
  state.training = { running: true, done: false, error: null, epochs: [], model: null };
  trainLog.textContent = '';
  trainSpeed.textContent = '';
  trainProgress.value = 0;
  drawChart();
  trainButton.disabled = true;
  stopButton.disabled = false;
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  trainer = worker;
  const finish = () => {
    state.training.running = false;
    trainButton.disabled = false;
    stopButton.disabled = true;
    worker.terminate();
    if (trainer === worker) trainer = null;
  };
  let started = 0; // when the first mini-batch was done
  worker.onmessage = (e: MessageEvent<TrainMessage>) => {
    const m = e.data;
    if (m.kind === 'status') trainLog.textContent += `${m.text}\n`;
    else if (m.kind === 'progress') {
      trainProgress.value = (m.epoch - 1 + m.done / m.total) / epochs;
      // speed and time left from the first progress on (evaluation time not included)
      const now = performance.now();
      if (!started) started = now;
      const samples = (m.epoch - 1) * m.total + m.done;
      const seconds = (now - started) / 1000;
      if (seconds > 0.2) {
        const rate = samples / seconds;
        const left = (epochs * m.total - samples) / rate;
        trainSpeed.textContent = `epoch ${m.epoch}/${epochs}: ${Math.round(rate).toLocaleString('en')} images/s, about ${left < 90 ? `${Math.ceil(left)} s` : `${Math.ceil(left / 60)} min`} left`;
      } else {
        trainSpeed.textContent = `epoch ${m.epoch}/${epochs}: started`;
      }
    } else if (m.kind === 'stopped') {
      const accuracy = m.correct / m.total;
      trainLog.textContent += `stopped in epoch ${m.epoch} after ${m.samples} images: ${m.correct} / ${m.total} (${(100 * accuracy).toFixed(2)}%) on test; the page uses this network\n`;
      trainSpeed.textContent = 'stopped';
      state.training.model = m.model;
      useTrainedModel(m.model, m.epoch, accuracy, true);
      state.training.done = true;
      finish();
    }
    else if (m.kind === 'epoch') {
      const accuracy = m.correct / m.total;
      state.training.epochs.push({ epoch: m.epoch, accuracy, cost: m.cost });
      state.training.model = m.model;
      trainLog.textContent += `epoch ${m.epoch}: ${m.correct} / ${m.total} (${(100 * accuracy).toFixed(2)}%), cost ${m.cost.toFixed(4)}, ${m.seconds.toFixed(2)} s\n`;
      drawChart();
      useTrainedModel(m.model, m.epoch, accuracy);
    } else if (m.kind === 'done') {
      trainProgress.value = 1;
      state.training.done = true;
      finish();
      onDone();
    } else if (m.kind === 'error') {
      state.training.error = m.text;
      message.textContent = `Training stopped: ${m.text}. The page keeps working with the model you had.`;
      finish();
    }
  };
  worker.onerror = (e) => {
    state.training.error = e.message;
    message.textContent = `Training stopped: ${e.message}.`;
    finish();
  };
  worker.postMessage(request);
}

// the network to train: 784-hidden-10 (η 3, as chapter 1), or chapter 6's ch6-relu (its layers, η and λ)
/** The conv net's default training images: an epoch of a few seconds on one thread, not minutes. */
const CONV_IMAGES = 10000;
const trainNet = $<HTMLSelectElement>('train-net');
const hiddenField = $<HTMLInputElement>('train-hidden');
const etaField = $<HTMLInputElement>('train-eta');
trainNet.addEventListener('change', () => {
  const conv = trainNet.value !== 'fc';
  hiddenField.disabled = conv;
  etaField.value = String(conv ? (PRESETS['ch6-relu'] as StackPreset).eta : 3);
  // a convolutional epoch over 10,000 images takes seconds, not minutes
  sizeField.value = String(conv ? CONV_IMAGES : 50000);
});

trainButton.addEventListener('click', () => {
  const preset = trainNet.value === 'fc' ? null : (PRESETS[trainNet.value] as StackPreset);
  const request: TrainRequest = {
    kind: 'train',
    ...(preset ? { layers: preset.layers, lambda: preset.lambda } : {}),
    hidden: numberField('train-hidden'),
    epochs: numberField('train-epochs'),
    miniBatchSize: 10,
    eta: numberField('train-eta'),
    seed: numberField('train-seed'),
    trainSize: numberField('train-size'),
  };
  const bad = Object.entries(request).find(([k, v]) => k !== 'kind' && k !== 'layers' && (!Number.isFinite(v) || (v as number) < (k === 'seed' || k === 'lambda' ? 0 : 1e-9)));
  if (bad) {
    message.textContent = `Training: ${bad[0]} must be a positive number.`;
    return;
  }
  // Stop: a flag in shared memory, read by the worker between mini-batches
  if (typeof SharedArrayBuffer !== 'undefined' && crossOriginIsolated) {
    stopFlag = new Int32Array(new SharedArrayBuffer(4));
    request.stop = stopFlag;
  } else {
    stopFlag = null;
  }
  runWorker(request, request.epochs);
});

// ---- corrections: kept in this browser, used to fine-tune the current model
const STORE = 'digitnet.corrections.v1';
interface Correction {
  pixels: number[]; // 784 bytes, 0–255
  /** What the model read when the correction was made. */
  before?: number;
  label: number;
}

function loadCorrections(): Correction[] {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? '[]') as Correction[];
    return Array.isArray(saved) ? saved.filter((c) => c.pixels?.length === SIDE * SIDE && c.label >= 0 && c.label <= 9) : [];
  } catch {
    return [];
  }
}

let corrections = loadCorrections();
const countText = $<HTMLSpanElement>('corrections-count');
const correctionsResult = $<HTMLDivElement>('corrections-result');
const fineTuneButton = $<HTMLButtonElement>('fine-tune');
const forgetButton = $<HTMLButtonElement>('forget');

/** After fine-tuning: what the new model reads on each corrected drawing, before → after. */
function showCorrectionsLearnt(): void {
  if (!net) return;
  const model = net;
  const rows = corrections.map((c) => ({ ...c, after: model.predict(Array.from(c.pixels, (b) => b / 255)).digit }));
  const learnt = rows.filter((r) => r.after === r.label).length;
  const detail = rows.map((r) => `${r.before ?? '?'} → ${r.after}${r.after === r.label ? '' : ` (you said ${r.label})`}`).join(', ');
  correctionsResult.textContent =
    `After fine-tuning, ${learnt} of ${rows.length} corrected drawing${rows.length === 1 ? '' : 's'} ${rows.length === 1 ? 'reads' : 'read'} as you said: ${detail}.` +
    (learnt < rows.length ? ' Fine-tune again, or draw the digit once more and correct it too.' : '');
  correctionsResult.dataset.learnt = String(learnt);
}

function showCorrections(): void {
  const n = corrections.length;
  countText.textContent = n === 0 ? 'no corrections saved' : `${n} correction${n === 1 ? '' : 's'} saved in this browser`;
  countText.dataset.count = String(n);
  fineTuneButton.disabled = n === 0;
  forgetButton.disabled = n === 0;
}

const correctButtons = $<HTMLSpanElement>('correct-buttons');
for (let d = 0; d < 10; d++) {
  const b = document.createElement('button');
  b.textContent = String(d);
  b.dataset.testid = `correct-${d}`;
  b.title = `It is a ${d}: save this drawing with the right answer`;
  b.addEventListener('click', () => {
    if (!state.lastInput) {
      message.textContent = 'Draw a digit first, then say which it is.';
      return;
    }
    corrections.push({ pixels: state.lastInput.map((v) => Math.round(255 * v)), label: d, ...(state.lastReading !== null ? { before: state.lastReading } : {}) });
    correctionsResult.textContent = '';
    try {
      localStorage.setItem(STORE, JSON.stringify(corrections));
      message.textContent = '';
    } catch (err) {
      message.textContent = `Could not save the correction in this browser (${(err as Error).message}).`;
    }
    showCorrections();
  });
  correctButtons.append(b);
}

fineTuneButton.addEventListener('click', () => {
  if (!netJson) {
    message.textContent = 'Load a model first.';
    return;
  }
  (document.getElementById('train-panel') as HTMLDetailsElement).open = true;
  correctionsResult.textContent = '';
  runWorker({ kind: 'finetune', model: netJson, corrections, seed: 1 }, FINE_TUNE.epochs, showCorrectionsLearnt);
});

forgetButton.addEventListener('click', () => {
  corrections = [];
  localStorage.removeItem(STORE);
  showCorrections();
});
showCorrections();

stopButton.addEventListener('click', () => {
  if (stopFlag && trainer) {
    // the worker stops after its current mini-batch and sends the network it has
    Atomics.store(stopFlag, 0, 1);
    stopButton.disabled = true;
    trainSpeed.textContent = 'stopping after this mini-batch…';
    return;
  }
  trainer?.terminate();
  trainer = null;
  state.training.running = false;
  trainButton.disabled = false;
  stopButton.disabled = true;
  trainLog.textContent += 'stopped\n';
});

drawChart();
startExplorer({
  model: () => (netJson ? { json: netJson, name: state.model ?? 'the model' } : null),
  input: () => state.lastInput,
  reading: () => state.lastReading,
});
void start();
