// scripts/screenshots.ts: `npm run screenshots`: retakes the page's pictures
// for the docs in headless Chromium (Debian's chromium): the page with a
// drawn 3 at 1280 px, the first layer's panel, the page on a 390 px phone
// screen, and the backprop explorer (docs/explain/): the default model's
// step, and every stage of a 784-30-10 network's step. Uses the shipped
// default model and a 784-30-10 network trained here for one epoch on
// 10,000 MNIST images (seed 1), so the pictures do not depend on what is in
// data/models/.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { runMain } from '../src/node/cli.js';
import { CHROMIUM, CHROMIUM_ARGS } from './browser-bench.js';
import { buildWeb } from './build-web.js';
import { startPageServer } from './page-server.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { bookSplit } from '../src/data/mnist.js';
import { slice } from '../src/data/dataset.js';
import { Network } from '../src/nn/network.js';
import { serializeModel } from '../src/nn/model-file.js';
import { sgd } from '../src/nn/sgd.js';
import { Rng } from '../src/rng.js';

const root = join(import.meta.dirname, '..');

async function draw(page: Page, digit: number): Promise<void> {
  const pad = page.locator('#pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  for (const s of digitStrokes(digit, variant(1, box.width, 3))) {
    await page.mouse.move(box.x + s[0].x, box.y + s[0].y);
    await page.mouse.down();
    for (const p of s.slice(1)) await page.mouse.move(box.x + p.x, box.y + p.y);
    await page.mouse.up();
  }
  await page.waitForTimeout(300);
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** The page with `model`, a 3 drawn, told it is a 5, and one step learnt. */
async function explorer(browser: Browser, url: string, model: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${url}?model=${encodeURIComponent(model)}`);
  await page.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
  await draw(page, 3);
  await page.getByTestId('explain-label').selectOption('5');
  await page.getByTestId('learn').click();
  return page;
}

/** Stage `id` on show, the pointer at (fx, fy) of its heat map. */
async function showStage(page: Page, id: string, fx: number, fy: number): Promise<void> {
  const k = await page.evaluate((s) => (window as unknown as { digitnetExplain: { stages: string[] } }).digitnetExplain.stages.indexOf(s), id);
  await page.getByTestId('explain-stages').locator('button').nth(k).click();
  const map = page.getByTestId('stage-map');
  await map.scrollIntoViewIfNeeded();
  const box = (await map.boundingBox())!;
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'digitnet-shots-'));
  const web = await buildWeb(join(tmp, 'web'));
  const models = join(tmp, 'models');
  mkdirSync(models);
  const rng = new Rng(1);
  const fc = Network.random([784, 30, 10], rng);
  sgd(fc, slice(bookSplit((await loadMnist()).sets).training, 0, 10000), { epochs: 1, miniBatchSize: 10, eta: 3, rng });
  writeFileSync(join(models, 'fc30.json'), serializeModel(fc));
  const server = await startPageServer({ web, port: 0, trainedDir: models });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const wide = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const shipped = `${server.url}?model=${encodeURIComponent('/models/default/default.json')}`;
    await wide.goto(shipped);
    await wide.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
    await draw(wide, 3);
    await wide.screenshot({ path: join(root, 'web', 'screenshot.png') });
    const panel = wide.locator('#conv-panel');
    await panel.screenshot({ path: join(root, 'web', 'screenshot-conv.png') });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    await phone.goto(shipped);
    await phone.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
    await draw(phone, 7);
    await phone.screenshot({ path: join(root, 'web', 'screenshot-phone.png') });
    const shots = join(root, 'docs', 'explain');
    mkdirSync(shots, { recursive: true });
    // the explorer: the default model told that its 3 is a 5, at conv1's weighted inputs
    const conv = await explorer(browser, server.url, '/models/default/default.json');
    await showStage(conv, 'z2', 0.5, 0.37);
    await conv.locator('#explain').screenshot({ path: join(shots, 'conv-step.png') });
    // the stages a fully-connected network has not: pooling forward and back, a filter's gradient and its change, batch norm forward and back
    const convStages = ['a3', 'pool-3', 'bp4-2', 'w-2', 'z4', 'bn-down-4'];
    for (const id of convStages) {
      await showStage(conv, id, 0.35, 0.45);
      await conv.locator('#explain .stage').screenshot({ path: join(shots, `conv-${id}.png`) });
    }
    // every stage of a 784-30-10 network's step
    const dense = await explorer(browser, server.url, '/models/data/fc30.json');
    const ids = await dense.evaluate(() => (window as unknown as { digitnetExplain: { stages: string[] } }).digitnetExplain.stages);
    for (const [k, id] of ids.entries()) {
      await showStage(dense, id, 0.5, 0.5);
      await dense.locator('#explain .stage').screenshot({ path: join(shots, `fc-${String(k + 1).padStart(2, '0')}-${id}.png`) });
    }
    await dense.locator('#explain').screenshot({ path: join(shots, 'fc-step.png') });
    process.stdout.write(`wrote web/screenshot.png, web/screenshot-conv.png, web/screenshot-phone.png and ${ids.length + 2 + convStages.length} pictures in docs/explain/\n`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

void runMain('screenshots', main);
