// web/thread-worker.ts: the body of a training worker thread in the browser.

import { runThread, type ThreadInit } from '../src/nn/parallel/threads.js';

self.onmessage = (e: MessageEvent<ThreadInit>) => {
  self.onmessage = null;
  runThread(e.data, () => self.postMessage({ ready: true })).catch((err: unknown) =>
    self.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
};
