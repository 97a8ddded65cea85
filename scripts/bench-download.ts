// scripts/bench-download.ts: `npm run bench:download`: the peak memory of
// `npm run fetch-data` against hostile mirrors on 127.0.0.1, measured by
// /usr/bin/time -v (GNU time): a 1 GiB gzip bomb behind a valid MNIST header,
// a 1 GiB gzip bomb of zeros, and a 1 GiB body sent without Content-Length.
// Prints each case's peak resident memory and what fetch-data said. A figure,
// not a test: the tests check the same limits on small files.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { MNIST } from '../src/data/datasets.js';
import { mnistDataPackageDir } from '../src/node/mnist-files.js';
import { runMain, RunError } from '../src/node/cli.js';

const GIB = 1 << 30;
const root = join(import.meta.dirname, '..');

/** gzip of `head` followed by `zeros` zero bytes, streamed (never held whole). */
function gzipBomb(head: Uint8Array, zeros: number): Promise<Buffer> {
  return new Promise((done, fail) => {
    const gz = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gz.on('data', (c: Buffer) => parts.push(c));
    gz.on('end', () => done(Buffer.concat(parts)));
    gz.on('error', fail);
    const block = Buffer.alloc(1 << 20);
    let left = zeros;
    gz.write(head);
    const more = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!gz.write(block.subarray(0, n))) return void gz.once('drain', more);
      }
      gz.end();
    };
    more();
  });
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new RunError('needs GNU time at /usr/bin/time: apt-get install time');
  const file = MNIST.files.trainImages;
  const realHead = readFileSync(join(mnistDataPackageDir(), file.name)).subarray(0, 16);
  process.stdout.write('making two 1 GiB gzip bombs…\n');
  const bombs: Record<string, Buffer> = {
    header: await gzipBomb(realHead, GIB),
    zeros: await gzipBomb(new Uint8Array(0), GIB),
  };
  const server = createServer((req, res) => {
    res.on('error', () => {});
    const [, mode] = (req.url ?? '/').split('/');
    if (mode === 'endless') {
      res.writeHead(200); // no Content-Length
      const chunk = Buffer.alloc(1 << 20, 1);
      let sent = 0;
      const more = () => {
        while (!res.destroyed && sent < 1024) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    const body = bombs[mode];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const cases: [string, string][] = [
    ['header', `1 GiB of zeros behind train-images' real header (${(bombs.header.length / 1024).toFixed(0)} KiB gzipped)`],
    ['zeros', `1 GiB of zeros (${(bombs.zeros.length / 1024).toFixed(0)} KiB gzipped)`],
    ['endless', '1 GiB body without Content-Length'],
  ];
  try {
    for (const [mode, what] of cases) {
      const work = mkdtempSync(join(tmpdir(), 'digitnet-bomb-'));
      try {
        // asynchronous: this process serves the mirror meanwhile
        const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
          const child = spawn('/usr/bin/time', ['-v', process.execPath, '--import', import.meta.resolve('tsx'), join(root, 'scripts', 'fetch-data.ts'), '--mirror', `${base}/${mode}/`],
            { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (c) => (stderr += c));
          child.on('close', (code) => done({ code, stderr }));
        });
        const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
        const said = r.stderr.split('\n').find((l) => l.startsWith('fetch-data:')) ?? r.stderr.split('\n')[0];
        const reason = r.stderr.split('\n').find((l) => l.includes(`/${mode}/`)) ?? '';
        process.stdout.write(`\n${what}\n  peak memory ${(peak / 1024).toFixed(0)} MB (/usr/bin/time -v), exit ${r.code}\n  ${said}\n  ${reason.trim()}\n`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  } finally {
    server.close();
  }
  const cpu = spawnSync('lscpu', { encoding: 'utf8' }).stdout ?? '';
  const model = /Model name:\s*(.*)/.exec(cpu)?.[1] ?? 'unknown CPU';
  process.stdout.write(`\nmachine: ${model}, Node ${process.version}\n`);
}

void runMain('bench:download', main);
