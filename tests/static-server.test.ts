// The loopback file server for the pages: files under each mount, 404 for
// everything else, never a file outside the served folders (however the path
// is spelt, and through no symbolic link), caching headers, and a server that
// keeps serving when a file cannot be read or a client walks away.

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHost, resolveUrlPath, startStaticServer, type StaticServer } from '../src/node/static-server.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-serve-'));
const site = join(root, 'site');
const data = join(root, 'data');
const mnist = join(root, 'mnist');
mkdirSync(site);
mkdirSync(data);
mkdirSync(mnist);
mkdirSync(join(root, 'outside'));
writeFileSync(join(site, 'index.html'), '<p>hi</p>');
writeFileSync(join(site, 'app.js'), 'console.log(1)');
writeFileSync(join(site, 'empty.txt'), '');
writeFileSync(join(data, 'digits.bin'), 'DATA');
writeFileSync(join(mnist, 'big.bin'), Buffer.alloc(8 << 20, 7)); // far more than a socket buffers
writeFileSync(join(root, 'secret.txt'), 'SECRET');
writeFileSync(join(root, 'outside', 'inner.txt'), 'SECRET');
// links made as an attacker would: out of the folder (a file, a folder, /proc), dangling, and one that stays inside
symlinkSync(join(root, 'secret.txt'), join(data, 'evil.json'));
symlinkSync('/etc/passwd', join(data, 'passwd.json'));
symlinkSync(join(root, 'outside'), join(data, 'dir'));
symlinkSync('/proc/self/environ', join(data, 'environ'));
symlinkSync(join(root, 'nowhere'), join(data, 'dangling.json'));
symlinkSync(join(data, 'digits.bin'), join(data, 'alias.bin'));
const mounts = [
  { prefix: '/', dir: site },
  { prefix: '/data/', dir: data },
  { prefix: '/mnist/', dir: mnist, cache: 'immutable' as const },
];

let server: StaticServer;
const errors: string[] = [];
beforeAll(async () => {
  server = await startStaticServer(mounts, { onError: (m) => errors.push(m) });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request, so the path is sent exactly as written (no URL normalisation). */
function get(path: string, method = 'GET', headers: Record<string, string> = {}, url = server.url): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('static server', () => {
  it('serves files with their type, length and the cross-origin isolation headers', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toBe('<p>hi</p>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-length']).toBe('9');
    expect(index.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(index.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const js = await get('/app.js?v=1');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/data/digits.bin')).body).toBe('DATA');
    const empty = await get('/empty.txt');
    expect([empty.status, empty.body, empty.headers['content-length']]).toEqual([200, '', '0']);
  });

  it('answers HEAD with the length and no body', async () => {
    const r = await get('/mnist/big.bin', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(8 << 20));
    expect(r.body).toBe('');
  });

  it('answers 404 for unknown paths, and 405 with Allow for other methods', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/data/')).status).toBe(404);
    const post = await get('/app.js', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await get('/app.js', 'DELETE')).headers.allow).toBe('GET, HEAD');
  });

  it('sends an ETag and Last-Modified, and 304 when the copy the browser has is current', async () => {
    const first = await get('/data/digits.bin');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await get('/data/digits.bin', 'GET', { 'If-None-Match': etag });
    expect([again.status, again.body]).toEqual([304, '']);
    expect((await get('/data/digits.bin', 'GET', { 'If-None-Match': '"other"' })).status).toBe(200);
    const since = await get('/data/digits.bin', 'GET', { 'If-Modified-Since': first.headers['last-modified'] as string });
    expect(since.status).toBe(304);
    // a changed file has another tag
    utimesSync(join(data, 'digits.bin'), new Date(), new Date(Date.now() + 5000));
    const changed = await get('/data/digits.bin', 'GET', { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('lets browsers keep the immutable mounts (MNIST) for good', async () => {
    const r = await get('/mnist/big.bin', 'HEAD');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('never serves a file outside the mounts, however the path is spelt', async () => {
    for (const path of [
      '/../secret.txt', '/data/../../secret.txt', '/%2e%2e/secret.txt', '/data/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt', '/%2e%2e%5csecret.txt', '/data/..%00/secret.txt', '/%ZZ',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('SECRET');
    }
    expect(await resolveUrlPath(mounts, '/data/../../secret.txt')).toBeNull();
    expect((await resolveUrlPath(mounts, '/data/digits.bin'))?.path).toBe(join(data, 'digits.bin'));
  });

  it('follows no symbolic link out of a served folder; a dangling link is a 404', async () => {
    for (const path of ['/data/evil.json', '/data/passwd.json', '/data/dir/inner.txt', '/data/environ', '/data/dangling.json']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('SECRET');
      expect(r.body).not.toContain('root:');
    }
    // a link that stays inside is served
    const alias = await get('/data/alias.bin');
    expect([alias.status, alias.body]).toEqual([200, 'DATA']);
  });

  it('closes the file when a client walks away mid-download (no descriptor leaks)', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const { hostname, port } = new URL(server.url);
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((done, fail) => {
        const req = request({ hostname, port, path: '/mnist/big.bin' }, (res) => {
          res.once('data', () => {
            req.destroy(); // cancelled after the first bytes
            done();
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? done() : fail(e)));
        req.end();
      });
    }
    // the server sees each close a moment later: wait (bounded) for the descriptors to come back
    for (let i = 0; i < 100 && fds() > before + 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(fds()).toBeLessThanOrEqual(before + 2);
    expect((await get('/data/digits.bin')).body).toBe('DATA'); // and it still serves
  });

  it('keeps serving when a generated answer fails, answering 500', async () => {
    const failing = await startStaticServer(mounts, {
      routes: { '/boom.json': () => Promise.reject(new Error('listing failed')) },
      onError: (m) => errors.push(m),
    });
    try {
      const r = await get('/boom.json', 'GET', {}, failing.url);
      expect(r.status).toBe(500);
      expect(errors.some((e) => e.includes('listing failed'))).toBe(true);
      expect((await get('/data/digits.bin', 'GET', {}, failing.url)).body).toBe('DATA');
    } finally {
      await failing.close();
    }
  });

  it('checks --host before listening', () => {
    expect(checkHost('127.0.0.1')).toBeNull();
    expect(checkHost('::1')).toBeNull();
    expect(checkHost('999.1.1.1')).toBe('must be an IP address such as 127.0.0.1 (or localhost)');
  });
});

describe('static server: an unreadable file', () => {
  it('is answered 403 and the server keeps serving (run as an unprivileged user, since root reads everything)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'digitnet-serve-perm-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'ok.txt'), 'OK');
    writeFileSync(join(dir, 'locked.json'), '{}');
    chmodSync(join(dir, 'locked.json'), 0o000);
    chmodSync(join(dir, 'ok.txt'), 0o644);
    const boot = `
      if (process.getuid() === 0) { process.setgid(65534); process.setuid(65534); }
      const { startStaticServer } = await import(${JSON.stringify(new URL('../src/node/static-server.ts', import.meta.url).href)});
      const s = await startStaticServer([{ prefix: '/', dir: ${JSON.stringify(dir)} }], { onError: () => {} });
      console.log(s.url);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', boot], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (c) => {
          out += c;
          if (out.includes('\n')) ok(out.trim());
        });
        child.on('exit', (code) => fail(new Error(`server exited with ${code}`)));
      });
      for (let i = 0; i < 3; i++) {
        const locked = await get('/locked.json', 'GET', {}, url);
        expect(locked.status).toBe(403);
      }
      const ok = await get('/ok.txt', 'GET', {}, url);
      expect([ok.status, ok.body]).toEqual([200, 'OK']);
      expect(child.exitCode).toBeNull(); // still running
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
