// The same code in Chromium: the WebAssembly SIMD kernels, the threads (Web
// Workers over shared memory) and a training epoch on real MNIST give the
// very same weights in the browser as in Node. Needs Debian's chromium
// (.ci/run installs it: apt-get install -y chromium).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, runInChromium } from '../scripts/browser-bench.js';
import { bookSplit } from '../src/data/mnist.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { runChecks, type CheckReport } from '../web/bench/checks.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MNIST } from '../src/data/datasets.js';
import { mnistDataPackageDir } from '../src/node/mnist-files.js';

describe('in Chromium', () => {
  it('runs the kernels and threads and trains bit-identically to Node', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const browser = await runInChromium({ mode: 'check', cases: [], repeats: 1, seconds: 0.1 }, 120_000);
    expect(browser.error).toBeNull();
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.isolated).toBe(true); // shared memory allowed: the server's COOP/COEP headers work
    expect(browser.userAgent).toContain('Chrome/');
    const checks = browser.checks as CheckReport;
    expect(checks.simd).toBe(true);
    expect(checks.gemmMaxError).toBeLessThan(1e-5);
    // threads in the browser: the same weights as one thread
    expect(checks.runs['wasm-2-threads'].fingerprint).toBe(checks.runs.wasm.fingerprint);
    // and the same weights as Node, backend by backend
    const { sets } = await loadMnist();
    const { training, test } = bookSplit(sets);
    const node = await runChecks(training, test, spawnNodeThread);
    expect(checks.runs).toEqual(node.runs);
    expect(node.runs.ts.fingerprint).not.toBe(node.runs.wasm.fingerprint); // the check can tell backends apart
  }, 180_000);
});

describe('the fetch loader in Chromium', () => {
  it('downloads MNIST from the page\'s server, gunzips it with DecompressionStream and checks its digests', async () => {
    const mirror = mkdtempSync(join(tmpdir(), 'digitnet-browser-mirror-'));
    try {
      for (const f of Object.values(MNIST.files)) {
        writeFileSync(join(mirror, `${f.name}.gz`), gzipSync(readFileSync(join(mnistDataPackageDir(), f.name)), { level: 1 }));
      }
      const run = await runInChromium({ mode: 'fetch', cases: [], repeats: 1, seconds: 0.1 }, 120_000, [{ prefix: '/mirror/', dir: mirror }]);
      expect(run.error).toBeNull();
      expect(run.consoleErrors).toEqual([]);
      const report = run.checks as { digests: Record<string, string>; progressEvents: number; urls: string[] };
      expect(report.digests).toEqual(Object.fromEntries(Object.entries(MNIST.files).map(([k, f]) => [k, f.sha256])));
      expect(report.progressEvents).toBeGreaterThan(4);
      expect(report.urls.every((u) => u.includes('/mirror/') && u.endsWith('.gz'))).toBe(true);
    } finally {
      rmSync(mirror, { recursive: true, force: true });
    }
  }, 180_000);
});
