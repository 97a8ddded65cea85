// scripts/bench-explain.ts: `npm run bench:explain`: how long the backprop
// explorer keeps the page's thread busy, in headless Chromium: "Learn this"
// (15 times; the first parses the model), the step alone, showing each stage
// (3 times each) and a gradient check click. It says whether anything takes
// more than a frame, which would call for a worker.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/browser-bench.js';
import { buildWeb } from '../scripts/build-web.js';
import { startPageServer } from '../scripts/page-server.js';
import { Network } from '../src/nn/network.js';
import { serializeModel } from '../src/nn/model-file.js';
import { Rng } from '../src/rng.js';
import { runMain } from '../src/node/cli.js';

async function main(): Promise<void> {
  process.stdout.write(`CPU: ${cpus()[0].model} (lscpu tells the family); headless Chromium, a drawn 3 learnt as a 5; times in ms on the page's thread (a frame is 16.7 ms)\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'digitnet-explain-'));
  const web = await buildWeb(join(tmp, 'web'));
  mkdirSync(join(tmp, 'm'));
  writeFileSync(join(tmp, 'm', 'fc30.json'), serializeModel(Network.random([784, 30, 10], new Rng(1))));
  const server = await startPageServer({ web, port: 0, trainedDir: join(tmp, 'm') });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
  for (const model of ['/models/default/default.json', '/models/data/fc30.json']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}?model=${encodeURIComponent(model)}`);
    await page.waitForFunction(() => (window as any).digitnetPage?.ready);
    const box = (await page.locator('#pad').boundingBox())!;
    for (const s of digitStrokes(3, variant(1, box.width, 3))) {
      await page.mouse.move(box.x + s[0].x, box.y + s[0].y); await page.mouse.down();
      for (const p of s.slice(1)) await page.mouse.move(box.x + p.x, box.y + p.y);
      await page.mouse.up();
    }
    await page.getByTestId('explain-label').selectOption('5');
    const r = await page.evaluate(() => {
      const learn: number[] = [], step: number[] = [], stage: number[] = [], check: number[] = [];
      const worst: Record<string, number> = {};
      for (let k = 0; k < 15; k++) {
        const t = performance.now();
        (document.getElementById('learn') as HTMLButtonElement).click();
        learn.push(performance.now() - t);
        step.push((window as any).digitnetExplain.ms);
      }
      const ids: string[] = (window as any).digitnetExplain.stages;
      const buttons = document.querySelectorAll('#explain-stages button');
      const map = document.getElementById('stage-map')!;
      for (let rep = 0; rep < 3; rep++) ids.forEach((id, i) => {
        let t = performance.now();
        (buttons[i] as HTMLButtonElement).click();
        const dt = performance.now() - t;
        stage.push(dt);
        worst[id] = Math.max(worst[id] ?? 0, dt);
        const b = map.getBoundingClientRect();
        t = performance.now();
        map.dispatchEvent(new MouseEvent('click', { clientX: b.left + b.width * 0.5, clientY: b.top + b.height * 0.5, bubbles: true }));
        if (/^(bp3|bp4|w-|b-)/.test(id)) check.push(performance.now() - t);
      });
      return { learn, step, stage, check, worst };
    });
    const top = Object.entries(r.worst).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    process.stdout.write(`${model}: Learn this (parse + step + stages + first render) median ${med(r.learn).toFixed(1)} ms, max ${Math.max(...r.learn).toFixed(1)}; step alone median ${med(r.step).toFixed(1)} ms, max ${Math.max(...r.step).toFixed(1)}; show a stage median ${med(r.stage).toFixed(1)} ms, max ${Math.max(...r.stage).toFixed(1)} (${top}); gradient check click median ${med(r.check).toFixed(1)} ms, max ${Math.max(...r.check).toFixed(1)}\n`);
    await page.close();
  }
  await browser.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
}

void runMain('bench:explain', main);
