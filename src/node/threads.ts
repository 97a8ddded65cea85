// node/threads.ts: worker threads for nn/parallel/threads.ts in Node (worker_threads).
// From the built package the worker runs the compiled JavaScript; under tsx
// (npm run train, the tests) it loads the TypeScript source through tsx's API,
// since Node 20 does not pass `--import tsx` on to worker threads.

import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { SpawnThread } from '../nn/parallel/threads.js';

/** A worker thread running the module `name` of this folder ('thread-worker', …), compiled or under tsx. */
export function startNodeWorker(name: string, options: WorkerOptions = {}): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { tsImport } from ${JSON.stringify(api)}; await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}

function startWorker(): Worker {
  return startNodeWorker('thread-worker');
}

export const spawnNodeThread: SpawnThread = () => {
  const worker = startWorker();
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => {
      worker.on('message', listener);
      worker.on('error', (err) => listener({ error: err.message }));
    },
    terminate: () => worker.terminate(),
  };
};
