// web/threads.ts: worker threads for nn/parallel/threads.ts in the browser (Web
// Workers). Threads share memory, so the page must be cross-origin isolated
// (the server sends COOP/COEP), and thread 0 must itself run in a worker,
// since a page's main thread may not block on Atomics.wait.

import type { SpawnThread } from '../src/nn/parallel/threads.js';

/** Spawns workers from a bundled script whose body is runThread (see thread-worker.ts). */
export function webThreadSpawner(scriptUrl: string | URL): SpawnThread {
  return () => {
    const worker = new Worker(scriptUrl, { type: 'module' });
    return {
      postMessage: (message) => worker.postMessage(message),
      onMessage: (listener) => {
        worker.onmessage = (e: MessageEvent) => listener(e.data);
        worker.onerror = (e: ErrorEvent) => listener({ error: e.message });
      },
      terminate: () => worker.terminate(),
    };
  };
}
