// The fetch loader and the download cache against a local HTTP server that
// can be told to misbehave: every fault must end in the next mirror (or one
// error listing them all), and nothing partial or unverified in the cache.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/datasets.js';
import { bodyBudget, DownloadError, downloadDataset, downloadFile, sha256Hex, type Progress } from '../src/data/fetch.js';
import { DataFileError, gunzipIfNeeded } from '../src/data/idx.js';
import { decodeMnist, type MnistFileKey, type NamedBytes } from '../src/data/mnist.js';
import { cacheDir, ensureDataset, isCached, readCached } from '../src/node/cache.js';
import { idxImages, idxLabels, randomImages } from './fixtures.js';

const train = randomImages(1, 12, 28, 28);
const test = randomImages(2, 6, 28, 28);
const raw: Record<MnistFileKey, Uint8Array> = {
  trainImages: idxImages(12, 28, 28, train.images),
  trainLabels: idxLabels(train.labels),
  testImages: idxImages(6, 28, 28, test.images),
  testLabels: idxLabels(test.labels),
};
const names: Record<MnistFileKey, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const keys = Object.keys(names) as MnistFileKey[];
const byName = new Map(keys.map((k) => [names[k], raw[k]]));

/** A tiny dataset whose digests are computed here, independently of the loader. */
const TINY: Dataset = {
  name: 'tiny',
  title: 'Tiny',
  mirrors: [],
  classes: [...'0123456789'],
  files: Object.fromEntries(
    keys.map((k) => [k, { name: names[k], sha256: sha(raw[k]), bytes: raw[k].length, count: k.startsWith('train') ? 12 : 6 }]),
  ) as Dataset['files'],
};

const GARBAGE = new TextEncoder().encode('<html>this is not the file you are looking for</html>');

let server: Server;
let base: string;
const requests: string[] = [];
const flakyCount = new Map<string, number>();

/** /<mode>/<file>.gz: ok, raw, recompressed, 404, 500, flaky, truncate, stall, wrong, garbage, truncgz. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  requests.push(url);
  const [, mode, file] = url.split('/');
  const content = byName.get((file ?? '').replace(/\.gz$/, ''));
  if (!content) {
    res.writeHead(404).end();
    return;
  }
  const send = (body: Uint8Array, headers: Record<string, string | number> = {}) => {
    res.writeHead(200, { 'Content-Length': body.length, ...headers });
    res.end(body);
  };
  switch (mode) {
    case 'ok':
      return send(gzipSync(content));
    case 'raw':
      return send(content);
    case 'recompressed':
      return send(gzipSync(content, { level: 1, memLevel: 2 }));
    case '404':
      res.writeHead(404, 'Not Found').end();
      return;
    case '500':
      res.writeHead(500, 'Internal Server Error').end();
      return;
    case 'flaky': {
      const n = (flakyCount.get(url) ?? 0) + 1;
      flakyCount.set(url, n);
      if (n <= 2) res.writeHead(503, 'Service Unavailable').end();
      else send(gzipSync(content));
      return;
    }
    case 'truncate': {
      const gz = gzipSync(content);
      res.writeHead(200, { 'Content-Length': gz.length });
      res.write(gz.subarray(0, gz.length >> 1), () => res.destroy());
      return;
    }
    case 'stall': {
      const gz = gzipSync(content);
      res.writeHead(200, { 'Content-Length': gz.length });
      res.write(gz.subarray(0, 20)); // and then nothing
      return;
    }
    case 'wrong': {
      const bad = content.slice();
      bad[bad.length - 1] ^= 0xff;
      return send(gzipSync(bad));
    }
    case 'garbage':
      return send(GARBAGE);
    case 'truncgz': {
      const gz = gzipSync(content);
      res.writeHead(200); // no length: the cut is only visible to gunzip
      res.end(gz.subarray(0, gz.length - 10));
      return;
    }
    case 'bomb': // a valid header, then far more zeros than it declares (2 MiB in ~2 KB: 200 times the file)
      return send(BOMB_AFTER_HEADER.get(file!.replace(/\.gz$/, ''))!);
    case 'zeros': // 2 MiB of zeros: not even an IDX header
      return send(ZEROS_GZ);
    case 'declares': { // an IDX header that declares a 1 GiB file
      const head = content.slice(0, 16);
      new DataView(head.buffer).setUint32(4, 1 << 30);
      return send(gzipSync(head));
    }
    case 'endless': { // no Content-Length, and more bytes than any file: stops only when the client hangs up
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const more = () => {
        while (!res.destroyed && sent < 4096) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.on('error', () => {});
      more();
      return;
    }
    case 'announces':
      res.writeHead(200, { 'Content-Length': 1 << 30 });
      res.on('error', () => {});
      res.write(Buffer.alloc(100));
      return;
    case 'drip': { // one byte at a time, each well within the idle timeout: never idle, never done
      const gz = gzipSync(content);
      res.writeHead(200, { 'Content-Length': gz.length });
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= gz.length) return clearInterval(timer);
        res.write(gz.subarray(at, ++at));
      }, 40);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'loop': // a redirect to itself
      res.writeHead(302, { Location: url }).end();
      return;
    default:
      res.writeHead(404).end();
  }
}

/** Per file: gzip of the file followed by 2 MiB of zeros (its header declares the real, small size). */
const BOMB_AFTER_HEADER = new Map(keys.map((k) => [names[k], gzipSync(Buffer.concat([raw[k], Buffer.alloc(2 << 20)]), { level: 9 })]));
const ZEROS_GZ = gzipSync(Buffer.alloc(2 << 20), { level: 9 });

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const fast = { timeoutMs: 300, backoffMs: 5, retries: 2 };
const mirror = (mode: string) => `${base}/${mode}/`;

describe('downloadFile / downloadDataset', () => {
  it('downloads, decompresses, verifies and parses what was served, with progress', async () => {
    const progress: Progress[] = [];
    const files = await downloadDataset(TINY, { mirrors: [mirror('ok')], onProgress: (p) => progress.push(p) });
    for (const k of keys) expect(Array.from(files[k]!.bytes)).toEqual(Array.from(raw[k]));
    const sets = await decodeMnist(files as Record<MnistFileKey, NamedBytes>);
    expect(Array.from(sets.train.labels)).toEqual(Array.from(train.labels));
    expect(Array.from(sets.test.images)).toEqual(Array.from(test.images));
    const images = progress.filter((p) => p.file === names.trainImages);
    expect(images.length).toBeGreaterThan(0);
    const last = images[images.length - 1];
    expect(last.done).toBe(gzipSync(raw.trainImages).length);
    expect(last.total).toBe(last.done);
    for (let i = 1; i < images.length; i++) expect(images[i].done).toBeGreaterThan(images[i - 1].done);
  });

  it('accepts a mirror that serves the file uncompressed or recompressed (digests are of the IDX bytes)', async () => {
    for (const mode of ['raw', 'recompressed']) {
      const got = await downloadFile(TINY, 'trainImages', { mirrors: [mirror(mode)] });
      expect(await sha256Hex(got.bytes)).toBe(TINY.files.trainImages.sha256);
    }
  });

  it('moves on through the mirrors in order, retrying only passing failures', async () => {
    requests.length = 0;
    const got = await downloadFile(TINY, 'trainLabels', {
      ...fast, mirrors: [mirror('404'), mirror('500'), mirror('wrong'), mirror('ok')],
    });
    expect(got.mirror).toBe(mirror('ok'));
    expect(requests).toEqual([
      '/404/train-labels-idx1-ubyte.gz', // 404: not retried
      '/500/train-labels-idx1-ubyte.gz', // 500: tried 3 times
      '/500/train-labels-idx1-ubyte.gz',
      '/500/train-labels-idx1-ubyte.gz',
      '/wrong/train-labels-idx1-ubyte.gz', // wrong digest: not retried
      '/ok/train-labels-idx1-ubyte.gz',
    ]);
  });

  it('a retry after a passing failure succeeds on the same mirror', async () => {
    const got = await downloadFile(TINY, 'testLabels', { ...fast, mirrors: [mirror('flaky')] });
    expect(got.mirror).toBe(mirror('flaky'));
    expect(flakyCount.get('/flaky/t10k-labels-idx1-ubyte.gz')).toBe(3);
  });

  it('when every mirror fails, one error says what each answered', async () => {
    const modes = ['404', '500', 'truncate', 'stall', 'wrong', 'garbage', 'truncgz'];
    const err = await downloadFile(TINY, 'trainImages', { ...fast, retries: 1, mirrors: modes.map(mirror) }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toBeInstanceOf(DataFileError);
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toBe("could not download Tiny's train-images-idx3-ubyte from any of 7 mirrors:");
    const file = 'train-images-idx3-ubyte.gz';
    const expected = [
      `  - ${base}/404/${file}: HTTP 404 Not Found`,
      `  - ${base}/500/${file}: HTTP 500 Internal Server Error (after 2 tries)`,
      new RegExp(`^  - ${base}/truncate/${file}: (connection broke after \\d+ of \\d+ bytes|body cut off: \\d+ of \\d+ bytes).* \\(after 2 tries\\)$`),
      `  - ${base}/stall/${file}: no data for 0.3 s after 20 bytes (timed out) (after 2 tries)`,
      new RegExp(`^  - ${base}/wrong/${file}: SHA-256 is [0-9a-f]{64}, expected ${TINY.files.trainImages.sha256}$`),
      `  - ${base}/garbage/${file}: ${GARBAGE.length} bytes, expected ${raw.trainImages.length}`,
      new RegExp(`^  - ${base}/truncgz/${file}: not a valid gzip file`),
    ];
    expect(lines).toHaveLength(1 + expected.length);
    expected.forEach((e, i) => (typeof e === 'string' ? expect(lines[i + 1]).toBe(e) : expect(lines[i + 1]).toMatch(e)));
  });

  it('rejects a file whose digest matches a descriptor that expects other counts', async () => {
    const odd: Dataset = { ...TINY, files: { ...TINY.files, testLabels: { ...TINY.files.testLabels, count: 7 } } };
    await expect(downloadFile(odd, 'testLabels', { mirrors: [mirror('ok')] })).rejects.toThrow(
      `${base}/ok/t10k-labels-idx1-ubyte.gz: holds 6 items, expected 7`,
    );
  });

  it('a gzip bomb, an endless body or a false length is stopped within the file\'s size, and not retried', async () => {
    const size = raw.trainImages.length;
    const cases: [string, string | RegExp][] = [
      ['bomb', `decompresses to more bytes than its IDX header declares (${size}); the file is corrupt: download it again`],
      ['zeros', 'decompresses to something that is not an IDX file (magic number 0); is this the right file?'],
      ['declares', `its IDX header declares ${16 + (1 << 30) * 28 * 28} bytes, more than the ${size} expected; it is corrupt or not the right file`],
      ['endless', `the server sent more than ${bodyBudget(size)} bytes, more than this file can be`],
      ['announces', `the server announces ${1 << 30} bytes, more than this file can be (${bodyBudget(size)})`],
    ];
    for (const [mode, message] of cases) {
      requests.length = 0;
      const err = await downloadFile(TINY, 'trainImages', { ...fast, mirrors: [mirror(mode)] }).catch((e) => e);
      expect(err, mode).toBeInstanceOf(DownloadError);
      expect((err as Error).message.split('\n')[1]).toBe(`  - ${base}/${mode}/train-images-idx3-ubyte.gz: ${message}`);
      expect(requests, mode).toHaveLength(1); // a wrong file is not a passing failure
    }
  });

  it('the same budget holds for files read from --data-dir: a bomb there stops at its header\'s size', async () => {
    const bomb = BOMB_AFTER_HEADER.get(names.testLabels)!;
    await expect(gunzipIfNeeded(bomb, 'labels.gz')).rejects.toThrow(
      `labels.gz: decompresses to more bytes than its IDX header declares (${raw.testLabels.length}); the file is corrupt: download it again`,
    );
    await expect(gunzipIfNeeded(gzipSync(Buffer.alloc(1 << 20)), 'z.gz', { maxBytes: 1000, idx: false })).rejects.toThrow(
      'z.gz: decompresses to more than 1000 bytes, more than this file can be; it is corrupt or not the right file',
    );
  });

  it('a server that drips bytes is left after a minimum rate or a deadline, not retried', async () => {
    requests.length = 0;
    const slow = await downloadFile(TINY, 'trainImages', { ...fast, minBytesPerSecond: 1000, mirrors: [mirror('drip'), mirror('ok')] });
    expect(slow.mirror).toBe(mirror('ok'));
    expect(requests).toEqual(['/drip/train-images-idx3-ubyte.gz', '/ok/train-images-idx3-ubyte.gz']);
    const err = await downloadFile(TINY, 'trainImages', { ...fast, minBytesPerSecond: 1000, mirrors: [mirror('drip')] }).catch((e) => e);
    expect((err as Error).message).toMatch(/: too slow: \d+ bytes in \d+(\.\d)? s, below 1 KiB\/s; a slow connection can pass a longer deadline$/);
    const late = await downloadFile(TINY, 'trainImages', { ...fast, minBytesPerSecond: 0, deadlineMs: 500, mirrors: [mirror('drip')] }).catch((e) => e);
    expect((late as Error).message).toMatch(/: not done within 0\.5 s \(\d+ bytes received\); a slow connection can pass a longer deadline$/);
  });

  it('a redirect loop is a permanent failure, not retried', async () => {
    requests.length = 0;
    const err = await downloadFile(TINY, 'trainLabels', { ...fast, mirrors: [mirror('loop')] }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message.split('\n')[1]).toMatch(new RegExp(`^  - ${base}/loop/train-labels-idx1-ubyte.gz: too many redirects \\(a redirect loop\\)`));
    expect((err as Error).message).not.toContain('tries');
    expect(requests.length).toBeLessThanOrEqual(21); // one request and fetch's own redirects, no retries
  });

  it('an abort from the caller stops at once, with no retry', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 50);
    await expect(
      downloadFile(TINY, 'trainImages', { timeoutMs: 10_000, mirrors: [mirror('stall'), mirror('ok')], signal: controller.signal }),
    ).rejects.toThrow('user cancelled');
  });
});

describe('the cache in data/<dataset>/', () => {
  const roots: string[] = [];
  const newRoot = () => {
    const r = mkdtempSync(join(tmpdir(), 'digitnet-cache-'));
    roots.push(r);
    return r;
  };
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('keeps verified files only, and uses them the next time', async () => {
    const root = newRoot();
    const seen: string[] = [];
    const dir = await ensureDataset(TINY, { root, mirrors: [mirror('ok')], onFile: (k, how) => seen.push(`${k}:${how}`) });
    expect(dir).toBe(join(root, 'tiny'));
    expect(readdirSync(dir).sort()).toEqual(Object.values(names).sort());
    for (const k of keys) expect(Array.from(readFileSync(join(dir, names[k])))).toEqual(Array.from(raw[k]));
    expect(await isCached(TINY, root)).toBe(true);
    requests.length = 0;
    await ensureDataset(TINY, { root, mirrors: [mirror('ok')], onFile: (k, how) => seen.push(`${k}:${how}`) });
    expect(requests).toEqual([]); // nothing downloaded again
    expect(seen.slice(4)).toEqual(keys.map((k) => `${k}:cached`));
  });

  it('leaves nothing behind when a download fails', async () => {
    const root = newRoot();
    await expect(ensureDataset(TINY, { ...fast, root, mirrors: [mirror('truncate'), mirror('wrong')] })).rejects.toThrow(DownloadError);
    const dir = cacheDir(TINY, root);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('two downloads at once both end with intact files and no temporary ones', async () => {
    const root = newRoot();
    await Promise.all([
      ensureDataset(TINY, { root, mirrors: [mirror('ok')], force: true }),
      ensureDataset(TINY, { root, mirrors: [mirror('recompressed')], force: true }),
    ]);
    const dir = cacheDir(TINY, root);
    expect(readdirSync(dir).sort()).toEqual(Object.values(names).sort());
    for (const k of keys) expect(sha(readFileSync(join(dir, names[k])))).toBe(TINY.files[k].sha256);
  });

  it('a damaged cached file is not used, and is replaced by a download', async () => {
    const root = newRoot();
    const dir = cacheDir(TINY, root);
    mkdirSync(dir, { recursive: true });
    for (const k of keys) writeFileSync(join(dir, names[k]), raw[k]); // as if downloaded by an earlier process
    const damaged = raw.testImages.slice();
    damaged[100] ^= 1; // same size, other bytes
    writeFileSync(join(dir, names.testImages), damaged);
    expect(await readCached(TINY, 'testImages', root)).toBeNull();
    expect(await isCached(TINY, root)).toBe(false);
    const seen: string[] = [];
    await ensureDataset(TINY, { root, mirrors: [mirror('ok')], onFile: (k, how) => seen.push(`${k}:${how}`) });
    expect(seen).toEqual(['trainImages:cached', 'trainLabels:cached', 'testImages:downloaded', 'testLabels:cached']);
    expect(sha(readFileSync(join(dir, names.testImages)))).toBe(TINY.files.testImages.sha256);
    // verified once in this process, the size is still checked every time
    writeFileSync(join(dir, names.testLabels), raw.testLabels.subarray(0, 10));
    expect(await readCached(TINY, 'testLabels', root)).toBeNull();
  });

  it('says clearly when the cache cannot be written', async () => {
    const root = newRoot();
    writeFileSync(join(root, 'tiny'), 'a file where the cache folder should be');
    await expect(ensureDataset(TINY, { root, mirrors: [mirror('ok')] })).rejects.toThrow(
      new RegExp(`^cannot save ${join(root, 'tiny', names.trainImages)}: .*; make ${join(root, 'tiny')} writable \\(or free space\\), or pass --data-dir with the files$`),
    );
  });
});

describe('npm run fetch-data, then npm run train, against a local mirror of the real files', () => {
  it('downloads, verifies and caches MNIST; training then uses the cache', async () => {
    const gzDir = mkdtempSync(join(tmpdir(), 'digitnet-mirror-'));
    const work = mkdtempSync(join(tmpdir(), 'digitnet-work-'));
    const { mnistDataPackageDir } = await import('../src/node/mnist-files.js');
    const { startStaticServer } = await import('../src/node/static-server.js');
    for (const name of Object.values(names)) {
      writeFileSync(join(gzDir, `${name}.gz`), gzipSync(readFileSync(join(mnistDataPackageDir(), name)), { level: 1 }));
    }
    const mirrorServer = await startStaticServer([{ prefix: '/mnist/', dir: gzDir }]);
    try {
      const root = join(import.meta.dirname, '..');
      // asynchronous: the mirror server runs in this process and must keep answering
      const node = (script: string, args: string[]) =>
        new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
          execFile(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'scripts', script), ...args], { cwd: work },
            (err, stdout, stderr) => done({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
        });
      const bad = await node('fetch-data.ts', ['--mirror', 'ftp://example/']);
      expect(bad.status).toBe(2);
      expect(bad.stderr.split('\n')[0]).toBe("fetch-data: --mirror must be an http(s) URL; got 'ftp://example/'");

      const f = await node('fetch-data.ts', ['--mirror', `${mirrorServer.url}mnist/`]);
      expect(f.stderr.replace(/\r\x1b\[2K[^\n\r]*/g, '')).toBe('');
      expect(f.status).toBe(0);
      expect(f.stdout).toContain(`train-images-idx3-ubyte: downloaded from ${mirrorServer.url}mnist/, SHA-256 verified`);
      expect(f.stdout).toContain('MNIST: the four files are in data/mnist/; npm run train uses them');
      expect(readdirSync(join(work, 'data', 'mnist')).sort()).toEqual(Object.values(names).sort());

      const again = await node('fetch-data.ts', ['--mirror', `${mirrorServer.url}mnist/`]);
      expect(again.stdout).toContain('train-images-idx3-ubyte: already in the cache, intact');
      const forced = await node('fetch-data.ts', ['--mirror', `${mirrorServer.url}mnist/`, '--force']);
      expect(forced.status).toBe(0);
      expect(forced.stdout).toContain(`t10k-labels-idx1-ubyte: downloaded from ${mirrorServer.url}mnist/, SHA-256 verified`);

      const t = await node('train.ts', ['--epochs', '1', '--train-size', '500', '--threads', '1']);
      expect(t.status).toBe(0);
      expect(t.stdout).toContain('data: MNIST from the cache in data/mnist: 50,000 training, 10,000 validation, 10,000 test images');
    } finally {
      await mirrorServer.close();
      rmSync(gzDir, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
