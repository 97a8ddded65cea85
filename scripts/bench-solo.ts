// scripts/bench-solo.ts: digitnet's one-thread training step in a process of
// its own, for `npm run bench -- --peers`: two of these timed at once show what
// the machine gives two processes that share nothing (no memory, no waiting),
// beside what digitnet's two threads make of one step. It answers as the peers'
// trainer does (scripts/peers/trainer.py): a JSON line on stdin per timing
// ({ net, batch, seconds, lambda }), a JSON line back ({ samples_per_second }).

import { createInterface } from 'node:readline';
import { bookSplit } from '../src/data/mnist.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { digitnetRate } from './bench-peers.js';

const { training } = bookSplit((await loadMnist()).sets);
for await (const line of createInterface({ input: process.stdin })) {
  const { net, batch, seconds, lambda } = JSON.parse(line) as { net: string; batch: number; seconds: number; lambda: number };
  const rate = await digitnetRate({ net, batch, lambda }, 1, training, seconds);
  process.stdout.write(`${JSON.stringify({ samples_per_second: rate })}\n`);
}
