// node/thread-worker.ts: the entry point of a training worker thread in
// Node (worker_threads). Everything it does is nn/parallel/threads.ts's runThread.

import { parentPort } from 'node:worker_threads';
import { runThread, type ThreadInit } from '../nn/parallel/threads.js';

const port = parentPort!;
port.once('message', (init: ThreadInit) => {
  runThread(init, () => port.postMessage({ ready: true }))
    .then(() => port.close())
    .catch((err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }));
});
