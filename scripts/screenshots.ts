// scripts/screenshots.ts: `npm run screenshots`: retakes the page's pictures
// for the docs in headless Chromium (Debian's chromium): the page with a
// drawn 3 at 1280 px, the first layer's panel, and the page on a 390 px
// phone screen. Uses the shipped default model only, so the pictures do not
// depend on what is in data/models/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { runMain } from '../src/node/cli.js';
import { CHROMIUM, CHROMIUM_ARGS } from './browser-bench.js';
import { buildWeb } from './build-web.js';
import { startPageServer } from './page-server.js';

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

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'digitnet-shots-'));
  const web = await buildWeb(join(tmp, 'web'));
  const server = await startPageServer({ web, port: 0, trainedDir: join(tmp, 'no-models') });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const wide = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await wide.goto(server.url);
    await wide.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
    await draw(wide, 3);
    await wide.screenshot({ path: join(root, 'web', 'screenshot.png') });
    const panel = wide.locator('#conv-panel');
    await panel.screenshot({ path: join(root, 'web', 'screenshot-conv.png') });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    await phone.goto(server.url);
    await phone.waitForFunction(() => (window as unknown as { digitnetPage?: { ready: boolean } }).digitnetPage?.ready);
    await draw(phone, 7);
    await phone.screenshot({ path: join(root, 'web', 'screenshot-phone.png') });
    process.stdout.write('wrote web/screenshot.png, web/screenshot-conv.png and web/screenshot-phone.png\n');
  } finally {
    await browser.close();
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

void runMain('screenshots', main);
