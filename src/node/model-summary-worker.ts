// node/model-summary-worker.ts: a worker thread that reads and checks model
// files for the page's listing (src/node/models.ts), so that parsing a large
// or hostile file never holds up the server's other requests.

import { parentPort } from 'node:worker_threads';
import { summarizeModelFile, type SummaryRequest } from './models.js';

const port = parentPort!;
port.on('message', (request: SummaryRequest) => {
  port.postMessage({ id: request.id, summary: summarizeModelFile(request.path, request.maxBytes) });
});
