// web/explain.ts: the backprop explorer on the page. "Learn this" runs one SGD
// step of a copy of the current model on the drawing (src/explain/step.ts:
// the library's own updateMiniBatch, with its trace hook), then walks through
// it stage by stage (src/explain/stages.ts): a heat map of each tensor, its
// --debug-shapes line, and for the value under the pointer the formula with
// the numbers plugged in; a click on a weight or bias checks its gradient by
// finite differences. Next/Previous (or ← →) step through the stages; Play
// animates them, then takes more steps on the same drawing.

import { explorerModel, gradientCheck, learnOne, type StepRecord } from '../src/explain/step.js';
import { stepStages, type Stage } from '../src/explain/stages.js';
import { num } from '../src/explain/formula.js';
import { place, type Placement } from '../src/explain/tiles.js';
import type { LayerStack } from '../src/nn/stack.js';

/** What the explorer needs from the page: the model file in use, the drawing's input and the model's reading of it. */
export interface ExplorerSource {
  model(): { json: string; name: string } | null;
  input(): number[] | null;
  reading(): number | null;
}

/** A frame at 60 Hz: a step that takes longer is said so (the page would then need a worker). */
const FRAME_MS = 16.7;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function startExplorer(source: ExplorerSource): void {
  const labelPick = $<HTMLSelectElement>('explain-label');
  const etaField = $<HTMLInputElement>('explain-eta');
  const stepsField = $<HTMLInputElement>('explain-steps');
  const speed = $<HTMLSelectElement>('explain-speed');
  /** Play: how long each stage stays (the speed menu), and each of the further steps half as long. */
  const stageMs = () => Number(speed.value) || 700;
  const learnButton = $<HTMLButtonElement>('learn');
  const prev = $<HTMLButtonElement>('explain-prev');
  const next = $<HTMLButtonElement>('explain-next');
  const play = $<HTMLButtonElement>('explain-play');
  const where = $<HTMLSpanElement>('explain-where');
  const list = $<HTMLOListElement>('explain-stages');
  const title = $<HTMLHeadingElement>('stage-title');
  const note = $<HTMLParagraphElement>('stage-note');
  const shape = $<HTMLPreElement>('stage-shape');
  const map = $<HTMLCanvasElement>('stage-map');
  const formula = $<HTMLDivElement>('stage-formula');
  const patchBox = $<HTMLDivElement>('stage-patch');
  const kernelCanvas = $<HTMLCanvasElement>('stage-kernel');
  const patchCanvas = $<HTMLCanvasElement>('stage-patch-values');
  const patchNote = $<HTMLSpanElement>('stage-patch-note');
  const check = $<HTMLDivElement>('gradcheck');
  const outputs = $<HTMLDivElement>('explain-outputs');
  const status = $<HTMLDivElement>('explain-status');

  /** What the end-to-end tests read. */
  const view = {
    stage: null as string | null,
    stages: [] as string[],
    steps: 0,
    ms: null as number | null,
    playing: false,
    label: null as number | null,
    input: null as number[] | null,
    model: null as string | null,
  };
  (window as unknown as { digitnetExplain: typeof view }).digitnetExplain = view;

  let explored: (ReturnType<typeof explorerModel> & { json: string }) | null = null;
  let stack: LayerStack | null = null;
  let rec: StepRecord | null = null;
  let stages: Stage[] = [];
  let at = 0;
  let placement: Placement | null = null;
  let image: ImageData | null = null;
  let selected = -1;
  let timer = 0;
  const history: number[] = [];

  for (let d = 0; d < 10; d++) labelPick.append(Object.assign(document.createElement('option'), { value: String(d), textContent: String(d) }));

  /** Red for positive, blue for negative, brightest at the stage's largest magnitude. */
  function paint(values: Float32Array, p: Placement): ImageData {
    let max = 1e-30;
    for (const v of values) max = Math.max(max, Math.abs(v));
    const img = new ImageData(p.width, p.height);
    for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
    for (let i = 0; i < values.length; i++) {
      const x = values[i] / max;
      const o = 4 * p.pixel[i];
      img.data[o] = x > 0 ? Math.round(255 * Math.sqrt(x)) : 0;
      img.data[o + 2] = x < 0 ? Math.round(255 * Math.sqrt(-x)) : 0;
      img.data[o + 1] = Math.round(60 * Math.abs(x));
    }
    return img;
  }

  function drawSmall(c: HTMLCanvasElement, v: Float32Array, k: number): void {
    c.width = k;
    c.height = k;
    c.getContext('2d')!.putImageData(paint(v, place({ tiles: 1, c: 1, h: k, w: k })), 0, 0);
  }

  /** The map with value i marked (yellow), or none. */
  function drawMap(mark: number): void {
    if (!image || !placement) return;
    const ctx = map.getContext('2d')!;
    ctx.putImageData(image, 0, 0);
    if (mark >= 0) {
      const p = placement.pixel[mark];
      ctx.fillStyle = '#facc15';
      ctx.fillRect(p % placement.width, Math.floor(p / placement.width), 1, 1);
    }
  }

  function explainValue(i: number): void {
    const s = stages[at];
    if (!s || i < 0 || i >= s.values.length) return;
    const e = s.explain(i);
    formula.textContent = e.text;
    formula.dataset.stage = s.id;
    formula.dataset.index = String(i);
    formula.dataset.value = String(e.value);
    patchBox.hidden = !e.patch;
    if (e.patch) {
      drawSmall(kernelCanvas, e.patch.kernel, e.patch.k);
      drawSmall(patchCanvas, e.patch.patch, e.patch.k);
      patchNote.textContent = `filter's kernel (map ${e.patch.channel}) and the patch of the layer below it multiplies`;
    }
    drawMap(i);
  }

  function show(i: number): void {
    if (!stages.length) return;
    at = Math.max(0, Math.min(stages.length - 1, i));
    const s = stages[at];
    view.stage = s.id;
    title.textContent = s.title;
    note.textContent = s.note;
    shape.textContent = s.shape;
    where.textContent = `stage ${at + 1} of ${stages.length}`;
    placement = place(s.layout);
    map.width = placement.width;
    map.height = placement.height;
    const scale = Math.max(1, Math.min(48, Math.floor(560 / placement.width)));
    map.style.width = `${placement.width * scale}px`; // the height follows (max-width may narrow it on a phone)
    map.dataset.stage = s.id;
    image = paint(s.values, placement);
    selected = -1;
    // the value that matters most here: the label's output, else the largest in size
    let best = 0;
    for (let q = 0; q < s.values.length; q++) if (Math.abs(s.values[q]) > Math.abs(s.values[best])) best = q;
    if (s.values.length === 10 && rec) best = rec.label;
    explainValue(best);
    check.textContent = s.param ? 'Click a cell to check its gradient by finite differences.' : '';
    [...list.children].forEach((li, q) => li.classList.toggle('current', q === at));
    prev.disabled = at === 0;
    next.disabled = at === stages.length - 1;
  }

  function showOutputs(): void {
    if (!rec) return;
    outputs.replaceChildren();
    for (let d = 0; d < 10; d++) {
      const row = document.createElement('div');
      row.className = 'ba-row';
      row.dataset.testid = `ba-${d}`;
      const bar = (v: number, cls: string) => {
        const b = document.createElement('span');
        b.className = `ba ${cls}`;
        b.style.width = `${(100 * Math.min(1, Math.max(0, v))).toFixed(1)}%`;
        return b;
      };
      const [b, a] = [rec.outputsBefore[d], rec.outputsAfter[d]];
      const text = Object.assign(document.createElement('span'), { textContent: `${num(b)} → ${num(a)}` });
      const label = Object.assign(document.createElement('b'), { textContent: String(d) });
      if (d === rec.label) label.className = 'the-label';
      const bars = document.createElement('span');
      bars.className = 'ba-bars';
      bars.append(bar(b, 'before'), bar(a, 'after'));
      row.append(label, bars, text);
      outputs.append(row);
    }
    const costs = history.map(num).join(' → ');
    const sure = rec.costBefore < 1e-6 ? ` The model is already sure this is a ${rec.label}, so there is almost nothing to learn: say it is another digit to see a step that changes something.` : '';
    status.textContent = `Step ${view.steps} on this drawing as a ${rec.label}, η = ${rec.eta}: C ${costs}. One step took ${rec.ms.toFixed(1)} ms on the page's thread${rec.ms > FRAME_MS ? ' (more than a frame)' : ''}.${sure}`;
  }

  function stepOnce(): boolean {
    if (!stack || !view.input || view.label === null) return false;
    const eta = Number(etaField.value);
    if (!(eta > 0) || !Number.isFinite(eta)) {
      status.textContent = 'η must be a positive number, e.g. 3 for a chapter-1 network or 0.03 for a convolutional one.';
      return false;
    }
    rec = learnOne(stack, view.input, view.label, eta);
    if (history.length === 0) history.push(rec.costBefore);
    history.push(rec.costAfter);
    view.steps++;
    view.ms = rec.ms;
    const keep = stages[at]?.id;
    stages = stepStages(stack, rec);
    view.stages = stages.map((s) => s.id);
    list.replaceChildren(...stages.map((s, q) => {
      const li = document.createElement('li');
      const b = Object.assign(document.createElement('button'), { textContent: s.title, title: s.note });
      b.dataset.part = s.part;
      b.addEventListener('click', () => {
        stopPlaying();
        show(q);
      });
      li.append(b);
      return li;
    }));
    showOutputs();
    show(Math.max(0, stages.findIndex((s) => s.id === keep)));
    return true;
  }

  function learn(): void {
    stopPlaying();
    const model = source.model();
    const input = source.input();
    if (!model) {
      status.textContent = 'Load a model first.';
      return;
    }
    if (!input) {
      status.textContent = 'Draw a digit first: the step learns from your drawing.';
      return;
    }
    const label = labelPick.value === 'guess' ? source.reading() : Number(labelPick.value);
    if (label === null) {
      status.textContent = 'Say which digit it is, or draw one the model reads.';
      return;
    }
    try {
      // the model is parsed once; each "Learn this" starts again from its weights
      if (!explored || explored.json !== model.json) {
        explored = { json: model.json, ...explorerModel(model.json, model.name) };
        etaField.value = String(explored.eta);
      }
      explored.reset();
      stack = explored.stack;
      if (!etaField.value) etaField.value = String(explored.eta);
      view.model = model.name;
      view.input = input;
      view.label = label;
      view.steps = 0;
      history.length = 0;
      stages = [];
      if (stepOnce()) show(0);
    } catch (err) {
      status.textContent = (err as Error).message;
    }
  }

  function stopPlaying(): void {
    clearTimeout(timer);
    view.playing = false;
    play.textContent = 'Play';
  }

  /** Play: stage after stage of this step; at the end, the further steps the field asks for, then stop. */
  function tick(extra: number): void {
    if (at < stages.length - 1) {
      show(at + 1);
      timer = window.setTimeout(() => tick(extra), stageMs());
    } else if (extra > 0 && stepOnce()) {
      show(stages.length - 1);
      timer = window.setTimeout(() => tick(extra - 1), stageMs() / 2);
    } else {
      stopPlaying();
    }
  }

  learnButton.addEventListener('click', learn);
  prev.addEventListener('click', () => {
    stopPlaying();
    show(at - 1);
  });
  next.addEventListener('click', () => {
    stopPlaying();
    show(at + 1);
  });
  play.addEventListener('click', () => {
    if (view.playing) return stopPlaying();
    if (!stages.length) learn();
    if (!stages.length) return;
    view.playing = true;
    play.textContent = 'Pause';
    if (at === stages.length - 1) show(0);
    const steps = Math.max(1, Math.min(100, Math.floor(Number(stepsField.value)) || 1));
    timer = window.setTimeout(() => tick(steps - 1), stageMs());
  });
  window.addEventListener('keydown', (e) => {
    if (!stages.length || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      stopPlaying();
      show(at + (e.key === 'ArrowRight' ? 1 : -1));
    }
  });

  /** The value under a pointer at (x, y) in the canvas's box, or −1. */
  const valueAt = (e: MouseEvent): number => {
    if (!placement) return -1;
    const r = map.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) / r.width) * placement.width);
    const y = Math.floor(((e.clientY - r.top) / r.height) * placement.height);
    if (x < 0 || y < 0 || x >= placement.width || y >= placement.height) return -1;
    return placement.index[y * placement.width + x];
  };
  map.addEventListener('pointermove', (e) => {
    const i = valueAt(e);
    if (i >= 0) explainValue(i);
  });
  map.addEventListener('pointerleave', () => {
    if (selected >= 0) explainValue(selected);
  });
  map.addEventListener('click', (e) => {
    const i = valueAt(e);
    const s = stages[at];
    if (i < 0 || !s || !stack || !rec) return;
    selected = i;
    explainValue(i);
    if (!s.param) return;
    const g = gradientCheck(stack, rec, s.param(i));
    const diff = Math.abs(g.numeric - g.backprop) / Math.max(1e-12, Math.abs(g.numeric) + Math.abs(g.backprop));
    // the parameter and its symbol: a weight w, a bias b, or batch norm's scale γ and shift β
    const [what, w] = /^(bn-gamma|γ)-/.test(s.id) ? ['scale', 'γ'] : /^(bn-beta|β)-/.test(s.id) ? ['shift', 'β'] : /^(bp3|b)-/.test(s.id) ? ['bias', 'b'] : ['weight', 'w'];
    check.textContent =
      `Gradient check of this ${what} (before the step): backprop says ∂C/∂${w} = ${num(g.backprop)}; ` +
      `(C(${w} + ε) − C(${w} − ε)) / 2ε = (${num(g.costPlus)} − ${num(g.costMinus)}) / ${num(2 * g.eps)} = ${num(g.numeric)}; ` +
      `relative difference ${num(diff)}: ${diff < 1e-2 ? 'they agree' : `more than 1%: either the gradient is too small for a difference of two float32 costs to resolve, or ${w} ± ε crosses a ReLU's kink`}.`;
    check.dataset.backprop = String(g.backprop);
    check.dataset.numeric = String(g.numeric);
  });
}
