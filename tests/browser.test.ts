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
import { runChecks } from '../web/bench/checks.js';

describe('in Chromium', () => {
  it('runs the kernels and threads and trains bit-identically to Node', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
    const browser = await runInChromium({ mode: 'check', cases: [], repeats: 1, seconds: 0.1 }, 120_000);
    expect(browser.error).toBeNull();
    expect(browser.consoleErrors).toEqual([]);
    expect(browser.isolated).toBe(true); // shared memory allowed: the server's COOP/COEP headers work
    expect(browser.userAgent).toContain('Chrome/');
    const checks = browser.checks!;
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
