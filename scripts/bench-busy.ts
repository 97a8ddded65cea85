// scripts/bench-busy.ts: `npm run bench -- --busy-core`: one thread against two
// while another process keeps one core busy, as on a laptop that is doing
// something else. A child process spins for the whole run; digitnet's training
// step on 1 and on 2 threads is timed in turns (1, 2, 1, 2, …), best of N each,
// so that the load and the other tenants hit both alike. It prints the ratio
// 2 threads / 1 thread: below 1.0× two threads lose to one under load.

import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { cpuName, digitnetRate, sideBySideCases, type SideBySideOptions } from './bench-peers.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function benchBusyCore(o: SideBySideOptions): Promise<void> {
  const { say } = o;
  const cores = availableParallelism();
  say(`digitnet bench --busy-core: ${cpuName()}, ${cores} cores, Node ${process.version}`);
  if (cores < 2) {
    say('one core: there is no second thread to compare; nothing to measure');
    return;
  }
  // the load: a process that never sleeps, for the whole bench
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const stop = () => busy.kill('SIGKILL');
  process.once('exit', stop);
  say(`a spinning process (pid ${busy.pid}) keeps one core busy; each figure: training samples/s, best of ${o.rounds} rounds of ${o.seconds} s, 1 and 2 threads in turns; WebAssembly kernels`);
  say('');
  say(`${'network'.padEnd(34)} batch  ${'1 thread'.padStart(12)} ${'2 threads'.padStart(12)}   2T / 1T`);
  try {
    for (const c of sideBySideCases(o)) {
      const best = [0, 0];
      for (let round = 0; round < o.rounds; round++) {
        for (const t of [1, 2]) {
          best[t - 1] = Math.max(best[t - 1], await digitnetRate(c, t, o.training, o.seconds));
        }
      }
      const label = c.label.length > 34 ? `${c.label.slice(0, 33)}…` : c.label;
      say(`${label.padEnd(34)} ${String(c.batch).padStart(5)}  ${fmt(best[0]).padStart(12)} ${fmt(best[1]).padStart(12)}   ${(best[1] / best[0]).toFixed(2)}×`);
    }
  } finally {
    stop();
    process.off('exit', stop);
  }
}
