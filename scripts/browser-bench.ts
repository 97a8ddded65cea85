// scripts/browser-bench.ts: runs web/bench (the bench or the checks) in
// headless Chromium: bundles the page with esbuild, serves it and MNIST on
// loopback with cross-origin isolation, and reads the page's results.
// Used by `npm run bench -- --browser` and tests/browser.test.ts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleForBrowser } from './build-web.js';
import { chromium } from 'playwright-core';
import type { BenchRequest } from '../web/bench/bench-worker.js';
import type { BenchResult } from '../src/bench.js';
import type { CheckReport } from '../web/bench/checks.js';
import { mnistDataPackageDir } from '../src/node/mnist-files.js';
import { startStaticServer, type Mount } from '../src/node/static-server.js';

const root = join(import.meta.dirname, '..');

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface BrowserRun {
  results: BenchResult[];
  /** What mode 'check' (a CheckReport) or mode 'fetch' returned. */
  checks: CheckReport | Record<string, unknown> | null;
  error: string | null;
  /** Microseconds per drawing (preprocess + forward) in the browser, mode 'bench'. */
  latency: import('../src/bench.js').DrawingLatency | null;
  userAgent: string;
  isolated: boolean;
  consoleErrors: string[];
}

/** Bundles the bench page into a fresh folder. */
export function buildBenchPage(): Promise<string> {
  return bundleForBrowser(
    { main: 'web/bench/main.ts', 'bench-worker': 'web/bench/bench-worker.ts', 'thread-worker': 'web/thread-worker.ts' },
    mkdtempSync(join(tmpdir(), 'digitnet-bench-page-')),
    ['bench/index.html'],
  );
}

/** Runs the bench page's `request`; `extra` mounts more folders on the page's server (e.g. a mirror). */
export async function runInChromium(request: BenchRequest, timeoutMs = 600_000, extra: Mount[] = []): Promise<BrowserRun> {
  const page = await buildBenchPage();
  const server = await startStaticServer([
    { prefix: '/', dir: page },
    { prefix: '/mnist/', dir: mnistDataPackageDir() },
    { prefix: '/models/default/', dir: join(root, 'web', 'models') },
    ...extra,
  ]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const tab = await browser.newPage();
    const consoleErrors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    tab.on('pageerror', (e) => consoleErrors.push(e.message));
    await tab.goto(`${server.url}#${encodeURIComponent(JSON.stringify(request))}`);
    await tab.waitForFunction(() => (window as unknown as { digitnetBench?: { done: boolean } }).digitnetBench?.done, null, {
      timeout: timeoutMs,
      polling: 200,
    });
    const state = await tab.evaluate(() => (window as unknown as { digitnetBench: Omit<BrowserRun, 'consoleErrors'> }).digitnetBench);
    return { ...state, consoleErrors };
  } finally {
    await browser.close();
    await server.close();
    rmSync(page, { recursive: true, force: true });
  }
}
