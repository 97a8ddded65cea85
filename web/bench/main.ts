// web/bench/main.ts: the bench page. Starts the bench worker with the request
// in the URL's hash (JSON), shows progress, and leaves everything in
// window.digitnetBench for a test or a script to read.

import type { BenchRequest } from './bench-worker.js';

interface State {
  done: boolean;
  latency: unknown;
  results: unknown[];
  checks: unknown;
  error: string | null;
  userAgent?: string;
  isolated?: boolean;
}

const state: State = { done: false, results: [], checks: null, error: null, latency: null };
(window as unknown as { digitnetBench: State }).digitnetBench = state;
const out = document.getElementById('out')!;
const say = (line: string) => {
  out.textContent += `${line}\n`;
};

const fallback: BenchRequest = {
  mode: 'bench',
  repeats: 5,
  seconds: 1,
  cases: [
    { backend: 'wasm', threads: 1, sizes: [784, 30, 10], miniBatchSize: 10 },
    { backend: 'wasm', threads: 2, sizes: [784, 30, 10], miniBatchSize: 10 },
  ],
};
const request: BenchRequest = location.hash.length > 1 ? JSON.parse(decodeURIComponent(location.hash.slice(1))) : fallback;
say(`digitnet bench (${request.mode}); cross-origin isolated: ${crossOriginIsolated}`);
const worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent) => {
  const m = e.data as { result?: unknown; checks?: unknown; latency?: unknown; done?: boolean; error?: string; userAgent?: string; isolated?: boolean };
  if (m.latency) state.latency = m.latency;
  if (m.result) {
    state.results.push(m.result);
    say(JSON.stringify(m.result));
  }
  if (m.checks) {
    state.checks = m.checks;
    say(JSON.stringify(m.checks));
  }
  if (m.error) {
    state.error = m.error;
    state.done = true;
    say(`error: ${m.error}`);
  }
  if (m.done) {
    state.userAgent = m.userAgent;
    state.isolated = m.isolated;
    state.done = true;
    say('done');
  }
};
worker.onerror = (e) => {
  state.error = e.message;
  state.done = true;
};
worker.postMessage(request);
