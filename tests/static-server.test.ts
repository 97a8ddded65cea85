// The loopback file server for the pages: files under each mount, 404 for
// everything else, and never a file outside the served folders.

import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUrlPath, startStaticServer, type StaticServer } from '../src/node/static-server.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-serve-'));
const site = join(root, 'site');
const data = join(root, 'data');
mkdirSync(site);
mkdirSync(data);
writeFileSync(join(site, 'index.html'), '<p>hi</p>');
writeFileSync(join(site, 'app.js'), 'console.log(1)');
writeFileSync(join(data, 'digits.bin'), 'DATA');
writeFileSync(join(root, 'secret.txt'), 'SECRET');
const mounts = [
  { prefix: '/', dir: site },
  { prefix: '/data/', dir: data },
];

let server: StaticServer;
beforeAll(async () => {
  server = await startStaticServer(mounts);
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** A raw request, so the path is sent exactly as written (no URL normalisation). */
function get(path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('static server', () => {
  it('serves files with their type and the cross-origin isolation headers', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toBe('<p>hi</p>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(index.headers['cross-origin-embedder-policy']).toBe('require-corp');
    const js = await get('/app.js?v=1');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/data/digits.bin')).body).toBe('DATA');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/data/')).status).toBe(404);
    expect((await get('/app.js', 'POST')).status).toBe(405);
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
    expect(resolveUrlPath(mounts, '/data/../../secret.txt')).toBeNull();
    expect(resolveUrlPath(mounts, '/data/digits.bin')).toBe(join(data, 'digits.bin'));
  });
});
