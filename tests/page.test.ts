// The page in headless Chromium, driven like a person: digits drawn with real
// mouse moves and touches, the preview and the prediction read back, clear
// and undo, the model picker, broken and missing models, no console errors.

import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/browser-bench.js';
import { buildWeb } from '../scripts/build-web.js';
import { startPageServer } from '../scripts/page-server.js';
import type { StaticServer } from '../src/node/static-server.js';
import { Network } from '../src/nn/network.js';
import { parseModel, serializeModel } from '../src/nn/model-file.js';
import { Rng } from '../src/rng.js';
import type { Stroke } from '../src/draw/preprocess.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { SCRIBBLE_KINDS, scribbleStrokes } from '../src/draw/scribbles.js';

const root = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'digitnet-page-'));
const trained = join(tmp, 'models');
let server: StaticServer;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  const web = await buildWeb(join(tmp, 'web'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(trained);
  server = await startPageServer({ web, port: 0, trainedDir: trained });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
  return page;
}

async function padBox(page: Page) {
  await page.getByTestId('pad').scrollIntoViewIfNeeded();
  return (await page.getByTestId('pad').boundingBox())!;
}

/** Draws with the mouse: down, moves through every other point (and the last), up; stroke by stroke. */
async function drawWithMouse(page: Page, strokes: Stroke[]): Promise<void> {
  const box = await padBox(page);
  for (const s of strokes) {
    await page.mouse.move(box.x + s[0].x, box.y + s[0].y);
    await page.mouse.down();
    for (let i = 1; i < s.length; i++) {
      if (i % 2 === 0 || i === s.length - 1) await page.mouse.move(box.x + s[i].x, box.y + s[i].y);
    }
    await page.mouse.up();
  }
}

/** Draws with a finger: trusted touch events through the DevTools protocol. */
async function drawWithTouch(page: Page, strokes: Stroke[]): Promise<void> {
  const box = await padBox(page);
  const cdp = await page.context().newCDPSession(page);
  for (const s of strokes) {
    const at = (i: number) => [{ x: box.x + s[i].x, y: box.y + s[i].y, id: 1 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
    for (let i = 1; i < s.length; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(i) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
}

const predictionOf = async (page: Page) => (await page.getByTestId('prediction').textContent())?.trim() ?? '';
const inputOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { digitnetPage: { lastInput: number[] | null } }).digitnetPage.lastInput ?? []);
const inkOf = (page: Page) =>
  page.evaluate(() => ((window as unknown as { digitnetPage: { lastInput: number[] | null } }).digitnetPage.lastInput ?? []).reduce((s, v) => s + v, 0));

/** ch6-relu trained in Node as the page's worker trains it (wasm kernels, the preset's η and λ), stopped after `stopAt` images of epoch 1 if given: its parameters. */
async function convInNode(seed: number, images: number, epochs: number, stopAt?: number): Promise<number[]> {
  const { selectBackend } = await import('../src/backend.js');
  const { sgd } = await import('../src/nn/sgd.js');
  const { LayerStack } = await import('../src/nn/stack.js');
  const { PRESETS } = await import('../src/nn/presets.js');
  const { loadMnist } = await import('../src/node/mnist-files.js');
  const { bookSplit } = await import('../src/data/mnist.js');
  const { slice } = await import('../src/data/dataset.js');
  await selectBackend('wasm');
  const { training: all } = bookSplit((await loadMnist()).sets);
  const preset = PRESETS['ch6-relu'] as { layers: string; eta: number; lambda: number };
  const rng = new Rng(seed);
  const net = new LayerStack(preset.layers);
  net.init(rng);
  const halt = new Error('halt');
  try {
    sgd(net, slice(all, 0, images), {
      epochs, miniBatchSize: 10, eta: preset.eta, lambda: preset.lambda, rng,
      onProgress: (epoch, done) => {
        if (epoch === 1 && done === stopAt) throw halt;
      },
    });
  } catch (err) {
    if (err !== halt) throw err;
  }
  await selectBackend('ts');
  return Array.from(net.params);
}

describe('the drawing page', () => {
  it('starts with the default model and a prompt', async () => {
    const page = await open();
    expect(await page.getByTestId('model-picker').inputValue()).toBe('/models/default/default.json');
    expect(await page.getByTestId('status').textContent()).toBe('Draw a digit in the box.');
    expect(await predictionOf(page)).toBe('');
    // drawings are read on the WebAssembly SIMD kernels, which Chromium has
    expect(await page.evaluate(() => (window as unknown as { digitnetPage: { kernels: string | null } }).digitnetPage.kernels)).toBe('wasm');
    // the default model's first layer, as the page shows it: conv filters, or hidden neurons
    const shipped = parseModel(readFileSync(join(root, 'web', 'models', 'default.json'), 'utf8'), 'default.json').network;
    if (shipped instanceof Network) {
      expect(await page.getByTestId('hidden-units').locator('canvas').count()).toBe(shipped.sizes[1]);
    } else {
      const maps = (shipped.layers[0] as unknown as { maps: number }).maps;
      expect(await page.getByTestId('conv-filter').count()).toBe(maps);
      expect(await page.getByTestId('hidden-panel').isVisible()).toBe(false);
    }
    await page.close();
  });

  it('says when a drawing does not look like a digit at all (scribbles drawn with the mouse)', async () => {
    const page = await open();
    const box = await padBox(page);
    for (const [i, kind] of SCRIBBLE_KINDS.entries()) {
      await page.getByTestId('clear').click();
      const strokes = scribbleStrokes(2_000_000 + i, box.width, kind).map((s) => s.filter((_, k) => k % 3 === 0 || k === s.length - 1));
      await drawWithMouse(page, strokes);
      expect(await page.getByTestId('status').textContent(), kind).toMatch(/^That does not look like a digit \(closest: \d\)$/);
      expect(await page.evaluate(() => (window as unknown as { digitnetPage: { notADigit: boolean } }).digitnetPage.notADigit)).toBe(true);
    }
    await page.getByTestId('clear').click();
    await drawWithMouse(page, digitStrokes(4, variant(2, box.width, 9)));
    expect(await predictionOf(page)).toBe('4');
    expect(await page.getByTestId('status').textContent()).toMatch(/% sure$|^Not sure/);
    await page.close();
  });

  it('reads at least 49 of 50 digits drawn with the mouse (5 sizes, places and slants each)', async () => {
    const page = await open();
    const box = await padBox(page);
    let right = 0;
    const misread: string[] = [];
    for (let d = 0; d < 10; d++) {
      for (let k = 0; k < 5; k++) {
        await page.getByTestId('clear').click();
        await drawWithMouse(page, digitStrokes(d, variant(k, box.width, d * 10 + k)));
        const got = await predictionOf(page);
        const flagged = (await page.getByTestId('status').textContent())!.startsWith('That does not look like a digit');
        if (got === String(d) && !flagged) right++;
        else misread.push(`${d} read as ${got}${flagged ? ' and called no digit' : ''}`);
      }
    }
    expect(right, misread.join(', ')).toBeGreaterThanOrEqual(49);
    // the bars show probabilities that add up to one, the top one the prediction's
    const values = await Promise.all(
      Array.from({ length: 10 }, (_, d) => page.getByTestId(`bar-${d}`).getAttribute('data-value')),
    );
    const p = values.map(Number);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 2);
    expect(p.indexOf(Math.max(...p))).toBe(Number(await predictionOf(page)));
    await page.close();
  }, 120_000);

  it('draws with a finger (touch) as well', async () => {
    const page = await open();
    const box = await padBox(page);
    await drawWithTouch(page, digitStrokes(7, variant(1, box.width, 71)));
    expect(await predictionOf(page)).toBe('7');
    expect(await inkOf(page)).toBeGreaterThan(20);
    await page.close();
  });

  it('undo takes back the last stroke; clear (button and Esc) empties the pad', async () => {
    const page = await open();
    const box = await padBox(page);
    const four = digitStrokes(4, variant(1, box.width, 41)); // two strokes
    await drawWithMouse(page, four);
    expect(await predictionOf(page)).toBe('4');
    const both = await inputOf(page);
    await page.getByTestId('undo').click();
    const one = await inputOf(page);
    expect(one.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
    const change = one.reduce((s, v, i) => s + Math.abs(v - both[i]), 0) / one.length;
    expect(change).toBeGreaterThan(0.05); // one stroke of the 4 is gone
    await page.keyboard.press('Control+z');
    expect(await page.getByTestId('status').textContent()).toBe('Draw a digit in the box.');
    await drawWithMouse(page, four);
    expect(await predictionOf(page)).toBe('4');
    await page.getByTestId('clear').click();
    expect(await predictionOf(page)).toBe('');
    await drawWithMouse(page, four);
    await page.keyboard.press('Escape');
    expect(await predictionOf(page)).toBe('');
    expect(await inkOf(page)).toBe(0);
    await page.close();
  });

  it('lists trained models first, marks broken ones, refuses a wrong input size and survives a missing file', async () => {
    writeFileSync(join(trained, 'small.json'), serializeModel(Network.random([100, 10, 10], new Rng(1))));
    writeFileSync(join(trained, 'broken.json'), '{"sizes": [784, 30');
    copyFileSync(join(root, 'web', 'models', 'default.json'), join(trained, 'mine.json'));
    writeFileSync(join(trained, 'mine.metrics.json'), '{"run": "mine", "epochs": []}'); // written by npm run train beside each model
    const now = Date.now() / 1000;
    utimesSync(join(trained, 'small.json'), now - 30, now - 30);
    utimesSync(join(trained, 'broken.json'), now - 20, now - 20);
    utimesSync(join(trained, 'mine.json'), now - 10, now - 10); // the newest
    const page = await open();
    const picker = page.getByTestId('model-picker');
    const options = await picker.locator('option').evaluateAll((os) =>
      os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent, disabled: (o as HTMLOptionElement).disabled })),
    );
    expect(options.map((o) => o.value)).toContain('/models/data/mine.json');
    expect(options[options.length - 1].value).toBe('/models/default/default.json');
    expect(options.find((o) => o.value.endsWith('broken.json'))).toMatchObject({ disabled: true });
    expect(options.find((o) => o.value.endsWith('broken.json'))!.text).toBe('broken.json: unusable');
    expect(options.some((o) => o.value.includes('metrics'))).toBe(false); // the curves are no model
    // the reason, short, below the picker
    expect(await page.getByTestId('unusable').locator('summary').textContent()).toBe('1 file in data/models cannot be used');
    expect(await page.getByTestId('unusable').locator('div').textContent()).toMatch(/^broken\.json: not a model file: invalid JSON/);
    expect(options.map((o) => o.value).slice(0, 3)).toEqual(['/models/data/mine.json', '/models/data/broken.json', '/models/data/small.json']);
    expect(await picker.inputValue()).toBe('/models/data/mine.json'); // the newest trained one

    await picker.selectOption('/models/data/small.json');
    await expect.poll(() => page.getByTestId('message').textContent()).toContain('small.json is a 100-10-10 network; the page needs 784 inputs');
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(3, variant(1, box.width, 31)));
    expect(await predictionOf(page)).toBe('3'); // still reading with the model before
    await page.close();

    const missing = await open('?model=/models/data/gone.json');
    expect(await missing.getByTestId('message').textContent()).toContain('gone.json: HTTP 404');
    await missing.getByTestId('model-picker').selectOption('/models/default/default.json');
    await expect.poll(() => missing.getByTestId('message').textContent()).toBe('');
    await drawWithMouse(missing, digitStrokes(0, variant(1, box.width, 1)));
    expect(await predictionOf(missing)).toBe('0');
    await missing.close();
  });

  it('reads with a chapter-3 model too: ReLU hidden layer, softmax output (its own probabilities on the bars)', async () => {
    const { LogLikelihoodCost } = await import('../src/nn/costs.js');
    const { relu } = await import('../src/nn/activations.js');
    const { sgd } = await import('../src/nn/sgd.js');
    const { loadMnist } = await import('../src/node/mnist-files.js');
    const { bookSplit } = await import('../src/data/mnist.js');
    const { slice } = await import('../src/data/dataset.js');
    const { strokesToInput } = await import('../src/draw/preprocess.js');
    const { training } = bookSplit((await loadMnist()).sets);
    const rng = new Rng(2);
    const net = Network.random([784, 100, 10], rng, { cost: LogLikelihoodCost, activation: relu, init: 'default' });
    sgd(net, slice(training, 0, 20000), { epochs: 2, miniBatchSize: 10, eta: 0.1, rng });
    writeFileSync(join(trained, 'relu-softmax.json'), serializeModel(net));
    const page = await open('?model=/models/data/relu-softmax.json');
    const box = await padBox(page);
    const strokes = digitStrokes(3, variant(1, box.width, 31));
    await drawWithMouse(page, strokes);
    const shown = await Promise.all(Array.from({ length: 10 }, (_, d) => page.getByTestId(`bar-${d}`).getAttribute('data-value')));
    // the page's bars are the network's softmax output for what the page drew
    const input = await inputOf(page);
    const expected = Array.from(net.predict(input).output);
    shown.forEach((v, d) => expect(Number(v)).toBeCloseTo(expected[d], 3));
    expect(Number(await predictionOf(page))).toBe(expected.indexOf(Math.max(...expected)));
    expect(await page.getByTestId('shapes').textContent()).toContain('layer 3  a³ = softmax(z³) → (10×1)');
    expect(strokesToInput(strokes)).not.toBeNull();
    await page.close();
  }, 60_000);

  /** A layer stack trained for one epoch on the first `images` MNIST training images, seeded. */
  async function trainedStack(spec: string, seed: number, images: number, eta: number) {
    const { LayerStack } = await import('../src/nn/stack.js');
    const { sgd } = await import('../src/nn/sgd.js');
    const { loadMnist } = await import('../src/node/mnist-files.js');
    const { bookSplit } = await import('../src/data/mnist.js');
    const { slice } = await import('../src/data/dataset.js');
    const { training } = bookSplit((await loadMnist()).sets);
    const rng = new Rng(seed);
    const net = new LayerStack(spec);
    net.init(rng);
    sgd(net, slice(training, 0, images), { epochs: 1, miniBatchSize: 10, eta, rng });
    return net;
  }

  it("reads with a convolutional model, and shows its first layer's filters and their feature maps", async () => {
    const net = await trainedStack('conv 6 5x5 relu, pool 2, fc 30 relu, softmax 10', 3, 3000, 0.05);
    writeFileSync(join(trained, 'conv.json'), serializeModel(net));
    const page = await open('?model=/models/data/conv.json');
    expect(await page.getByTestId('model-picker').locator('option:checked').textContent()).toContain('conv 6 5x5 relu, pool 2, fc 30 relu, softmax 10');
    expect(await page.getByTestId('conv-panel').isVisible()).toBe(true);
    expect(await page.getByTestId('hidden-panel').isVisible()).toBe(false);
    expect(await page.getByTestId('conv-filter').count()).toBe(6);
    expect(await page.getByTestId('conv-map').count()).toBe(6);
    const means = () => page.getByTestId('conv-map').evaluateAll((cs) => cs.map((c) => Number((c as HTMLElement).dataset.mean ?? 0)));
    expect(Math.max(...(await means()))).toBe(0);
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(4, variant(2, box.width, 42)));
    // the bars are the stack's softmax for what the page drew
    const input = await inputOf(page);
    const expected = Array.from(net.predict(input).output);
    const shown = await Promise.all(Array.from({ length: 10 }, (_, d) => page.getByTestId(`bar-${d}`).getAttribute('data-value')));
    shown.forEach((v, d) => expect(Number(v)).toBeCloseTo(expected[d], 3));
    // the feature maps are conv1's outputs for that drawing: the busiest map in the page is the busiest in Node
    const maps = net.layerOutput(0);
    const busy = Array.from({ length: 6 }, (_, f) => maps.subarray(f * 576, (f + 1) * 576).reduce((s, v) => s + Math.abs(v), 0));
    const pageMeans = await means();
    expect(Math.max(...pageMeans)).toBeGreaterThan(0);
    expect(pageMeans.indexOf(Math.max(...pageMeans))).toBe(busy.indexOf(Math.max(...busy)));
    expect(await page.getByTestId('shapes').textContent()).toContain('conv1  W (6×1×5×5) ∗ x (1×28×28) + b (6), relu → (6×24×24)');
    await page.getByTestId('clear').click();
    expect(Math.max(...(await means()))).toBe(0);
    await page.close();
    rmSync(join(trained, 'conv.json')); // the tests after this one start from the default model
  }, 60_000);

  it('reads with a batch-norm model, using its running averages (evaluation mode)', async () => {
    const net = await trainedStack('fc 30 relu, bn, softmax 10', 4, 2000, 0.1);
    writeFileSync(join(trained, 'bn.json'), serializeModel(net));
    const page = await open('?model=/models/data/bn.json');
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(7, variant(3, box.width, 17)));
    const input = await inputOf(page);
    const expected = Array.from(net.predict(input).output); // one image: only the running averages can normalise it
    const shown = await Promise.all(Array.from({ length: 10 }, (_, d) => page.getByTestId(`bar-${d}`).getAttribute('data-value')));
    shown.forEach((v, d) => expect(Number(v)).toBeCloseTo(expected[d], 3));
    expect(await page.getByTestId('shapes').textContent()).toContain('bn1  x̂ = (x − running μ)/√(running σ² + ε); y = γ⊙x̂ + β → (30)');
    await page.close();
    rmSync(join(trained, 'bn.json'));
  }, 60_000);

  it('shows the tensor shapes of the last forward pass', async () => {
    writeFileSync(join(trained, 'fc.json'), serializeModel(Network.random([784, 100, 10], new Rng(5))));
    const page = await open('?model=/models/data/fc.json');
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(2, variant(1, box.width, 21)));
    const text = await page.getByTestId('shapes').textContent();
    expect(text).toContain('layer 2  z² = W²(100×784)·a¹(784×1) + b²(100×1) → (100×1)');
    expect(text).toContain('layer 3  a³ = σ(z³) → (10×1)');
    await page.close();
    rmSync(join(trained, 'fc.json'));
  });

  it('npm start: serves the page, answers 404 for unknown paths, and says so when the port is taken', async () => {
    const { execFile } = await import('node:child_process');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], { cwd: root, timeout: 60_000 },
          (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
      });
    const taken = new URL(server.url).port;
    const r = await run(['--port', taken]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`start: port ${taken} on 127.0.0.1 is in use; pass --port with another one`);
    const bad = await run(['--port', 'http']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe("start: --port must be an integer from 0 to 65535; got 'http'");
    const res = await fetch(`${server.url}no/such/page.js`);
    expect(res.status).toBe(404);
    const list = await (await fetch(`${server.url}models/index.json`)).json();
    const shipped = parseModel(readFileSync(join(root, 'web', 'models', 'default.json'), 'utf8'), 'default.json').network;
    const shape = shipped instanceof Network ? { sizes: [...shipped.sizes] } : { layers: shipped.spec };
    expect(list[list.length - 1]).toMatchObject({ url: '/models/default/default.json', ...shape, source: 'default' });
  }, 90_000);

  it('trains a network in a worker: accuracy rises, the page uses it, and the weights are those of Node', async () => {
    const page = await open();
    await page.locator('#train-panel summary').click();
    for (const [id, v] of [['train-hidden', '30'], ['train-epochs', '2'], ['train-size', '2000'], ['train-seed', '3']]) {
      await page.getByTestId(id).fill(v);
    }
    await page.getByTestId('train').click();
    // the page answers while the worker trains
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(1, variant(1, box.width, 11)));
    expect(await predictionOf(page)).toMatch(/^\d$/);
    await page.waitForFunction(() => {
      const t = (window as unknown as { digitnetPage: { training: { done: boolean; error: string | null } } }).digitnetPage.training;
      return t.done || t.error;
    }, null, { timeout: 60_000 });
    const training = await page.evaluate(() => (window as unknown as { digitnetPage: { training: { error: string | null; epochs: { accuracy: number }[]; model: string } } }).digitnetPage.training);
    expect(training.error).toBeNull();
    expect(training.epochs).toHaveLength(2);
    expect(training.epochs[1].accuracy).toBeGreaterThan(0.5); // from about 10% untrained
    expect(await page.getByTestId('model-picker').inputValue()).toBe('browser:trained');
    expect(await page.getByTestId('train-log').textContent()).toMatch(/epoch 2: \d+ \/ 10000 \(\d+\.\d\d%\)/);
    expect(await page.getByTestId('train-progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);

    // the same run in Node: the same weights, bit for bit
    const { selectBackend } = await import('../src/backend.js');
    const { sgd } = await import('../src/nn/sgd.js');
    const { parseModel } = await import('../src/nn/model-file.js');
    const { loadMnist } = await import('../src/node/mnist-files.js');
    const { bookSplit } = await import('../src/data/mnist.js');
    const { slice } = await import('../src/data/dataset.js');
    await selectBackend('wasm');
    const { training: all } = bookSplit((await loadMnist()).sets);
    const rng = new Rng(3);
    const net = Network.random([784, 30, 10], rng);
    sgd(net, slice(all, 0, 2000), { epochs: 2, miniBatchSize: 10, eta: 3, rng });
    await selectBackend('ts');
    const fromPage = parseModel(training.model, 'page').network;
    expect(Array.from(fromPage.params)).toEqual(Array.from(net.params));
    await page.close();
  }, 90_000);

  it('trains a convolutional network (ch6-relu) in a worker: the page shows its filters, and the weights are those of Node', async () => {
    const page = await open();
    await page.locator('#train-panel summary').click();
    await page.getByTestId('train-net').selectOption('ch6-relu');
    expect(await page.getByTestId('train-eta').inputValue()).toBe('0.03'); // the preset's η
    expect(await page.getByTestId('train-hidden').isDisabled()).toBe(true);
    for (const [id, v] of [['train-epochs', '1'], ['train-size', '300'], ['train-seed', '2']]) await page.getByTestId(id).fill(v);
    await page.getByTestId('train').click();
    await page.waitForFunction(() => {
      const t = (window as unknown as { digitnetPage: { training: { done: boolean; error: string | null } } }).digitnetPage.training;
      return t.done || t.error;
    }, null, { timeout: 60_000 });
    const training = await page.evaluate(() => (window as unknown as { digitnetPage: { training: { error: string | null; model: string } } }).digitnetPage.training);
    expect(training.error).toBeNull();
    expect(await page.getByTestId('train-log').textContent()).toContain('training conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10 on 300 images');
    expect(await page.getByTestId('conv-panel').isVisible()).toBe(true);
    expect(await page.getByTestId('conv-filter').count()).toBe(20);

    const fromPage = parseModel(training.model, 'page').network;
    expect(Array.from(fromPage.params)).toEqual(await convInNode(2, 300, 1));
    await page.close();
  }, 90_000);

  it('shows the speed from the first seconds, and Stop keeps the network after its last mini-batch, usable on the pad', async () => {
    const page = await open();
    await page.locator('#train-panel summary').click();
    await page.getByTestId('train-net').selectOption('ch6-relu');
    expect(await page.getByTestId('train-size').inputValue()).toBe('10000'); // an epoch of seconds, not minutes
    for (const [id, v] of [['train-epochs', '2'], ['train-seed', '4']]) await page.getByTestId(id).fill(v);
    await page.getByTestId('train').click();
    await expect.poll(() => page.getByTestId('train-speed').textContent(), { timeout: 30_000 }).toMatch(/^epoch 1\/2: [\d,]+ images\/s, about \d+ (s|min) left$/);
    await page.getByTestId('train-stop').click();
    await page.waitForFunction(() => {
      const t = (window as unknown as { digitnetPage: { training: { done: boolean; error: string | null } } }).digitnetPage.training;
      return t.done || t.error;
    }, null, { timeout: 60_000 });
    const log = (await page.getByTestId('train-log').textContent())!;
    const stopped = /stopped in epoch 1 after (\d+) images: (\d+) \/ 10000 \([\d.]+%\) on test; the page uses this network/.exec(log);
    expect(stopped, log).not.toBeNull();
    const samples = Number(stopped![1]);
    expect(samples).toBeGreaterThan(0);
    expect(samples).toBeLessThan(10000);
    expect(await page.getByTestId('model-picker').locator('option:checked').textContent()).toMatch(/^trained here \(conv 20 5x5 relu.*, stopped in epoch 1, [\d.]+% on test\)$/);
    const box = await padBox(page);
    await drawWithMouse(page, digitStrokes(1, variant(2, box.width, 3)));
    expect(await predictionOf(page)).toMatch(/^\d$/);

    // the same network as Node after the same mini-batches: nothing was lost or half-done
    const model = await page.evaluate(() => (window as unknown as { digitnetPage: { training: { model: string } } }).digitnetPage.training.model);
    expect(Array.from(parseModel(model, 'page').network.params)).toEqual(await convInNode(4, 10000, 2, samples));
    await page.close();
  }, 120_000);

  it('reports a failed data download during training and keeps working', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'digitnet-nomnist-'));
    const other = await startPageServer({ web: join(tmp, 'web'), port: 0, trainedDir: trained, mnistDir: empty });
    try {
      const page = await browser.newPage();
      await page.goto(other.url);
      await page.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
      await page.locator('#train-panel summary').click();
      await page.getByTestId('train').click();
      await page.waitForFunction(() => (window as unknown as { digitnetPage: { training: { error: string | null } } }).digitnetPage.training.error);
      expect(await page.getByTestId('message').textContent()).toMatch(/^Training stopped: .*train-images-idx3-ubyte: HTTP 404\. The page keeps working/);
      const box = await padBox(page);
      await drawWithMouse(page, digitStrokes(6, variant(1, box.width, 61)));
      expect(await predictionOf(page)).toBe('6');
      await page.close();
    } finally {
      await other.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('keeps corrections in the browser and fine-tunes the model on them', async () => {
    const page = await open();
    const box = await padBox(page);
    const one = digitStrokes(1, variant(1, box.width, 11));
    await drawWithMouse(page, one);
    expect(await predictionOf(page)).toBe('1');
    await page.getByTestId('correct-7').click(); // tell it, wrongly, that this is a 7
    expect(await page.getByTestId('corrections-count').getAttribute('data-count')).toBe('1');
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
    expect(await page.getByTestId('corrections-count').textContent()).toBe('1 correction saved in this browser');
    await page.getByTestId('fine-tune').click();
    await page.waitForFunction(() => {
      const t = (window as unknown as { digitnetPage: { training: { done: boolean; error: string | null } } }).digitnetPage.training;
      return t.done || t.error;
    }, null, { timeout: 90_000 });
    expect(await page.getByTestId('message').textContent()).toBe('');
    expect(await page.getByTestId('train-log').textContent()).toContain('fine-tuning on 1 correction (each 400×) and 10000 MNIST images');
    // before and after, on the corrected drawing itself
    expect(await page.getByTestId('corrections-result').textContent()).toBe('After fine-tuning, 1 of 1 corrected drawing reads as you said: 1 → 7.');
    await padBox(page);
    await drawWithMouse(page, one);
    expect(await predictionOf(page)).toBe('7'); // it learned the correction
    await page.getByTestId('forget-corrections').click();
    expect(await page.getByTestId('corrections-count').textContent()).toBe('no corrections saved');
    await page.close();
  }, 150_000);

  it('logged no console errors (a missing model is reported on the page, not by a crash)', () => {
    expect(consoleErrors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});

describe('the page fits the screen', () => {
  for (const [width, height] of [[390, 844], [1280, 900], [360, 740]]) {
    it(`${width}×${height}: no horizontal scrolling, with every panel open, a conv model and a drawing`, async () => {
      const page = await browser.newPage({ viewport: { width, height } });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      await page.goto(`${server.url}?model=/models/default/default.json`);
      await page.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
      const box = await padBox(page);
      await drawWithMouse(page, digitStrokes(3, variant(1, box.width, 5)));
      expect(await predictionOf(page)).toMatch(/^\d$/);
      const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await page.close();
    });
  }
});
