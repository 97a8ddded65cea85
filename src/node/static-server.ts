// node/static-server.ts: the small static file server for the pages (`npm
// start`, the browser bench, the tests). Serves each mount's folder under its
// URL prefix and nothing else: a path is resolved to its real path (symbolic
// links followed) and served only when that lies inside the mount's real
// folder and is a regular file. Every read goes through stream.pipeline, so
// a read error or a client that goes away closes the file; an unreadable
// file is answered (403/404/500), never fatal. Sends Content-Length, an ETag
// and Last-Modified (304 when unchanged), nosniff, and the cross-origin
// isolation headers that SharedArrayBuffer (and so threads) needs in a browser.

import type { Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface Mount {
  /** URL prefix, e.g. '/' or '/mnist/'. */
  prefix: string;
  dir: string;
  /**
   * How browsers may cache the files: 'immutable' for files that never change
   * under their name (the digest-checked MNIST files), else 'revalidate'
   * (kept, but checked with the ETag before each use).
   */
  cache?: 'immutable' | 'revalidate';
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const CACHE_CONTROL = { immutable: 'public, max-age=31536000, immutable', revalidate: 'no-cache' } as const;

/** True when `path` is `root` or lies inside it (both absolute, resolved). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export interface ResolvedFile {
  /** The real path (links resolved), inside the mount's real folder. */
  path: string;
  mount: Mount;
  /** The file's identity when it was resolved: what is opened must be the same file. */
  dev: number;
  ino: number;
}

/**
 * The regular file a URL path names under the mounts, by its real path; null
 * when the path is malformed, outside every mount (also through a symbolic
 * link), missing, a dangling link, or not a regular file.
 */
export async function resolveUrlPath(mounts: Mount[], urlPath: string): Promise<ResolvedFile | null> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  // longest prefix first
  for (const m of [...mounts].sort((a, b) => b.prefix.length - a.prefix.length)) {
    if (!path.startsWith(m.prefix)) continue;
    const root = resolve(m.dir);
    const named = resolve(join(root, path.slice(m.prefix.length)));
    if (!isInside(root, named)) return null;
    try {
      const realRoot = await realpath(root);
      let real = await realpath(named);
      if ((await stat(real)).isDirectory()) real = await realpath(join(real, 'index.html'));
      const s = await stat(real);
      if (!isInside(realRoot, real) || !s.isFile()) return null;
      return { path: real, mount: m, dev: s.dev, ino: s.ino };
    } catch {
      return null; // missing, a dangling or looping link, or unreadable folder
    }
  }
  return null;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** A generated answer for one exact path (e.g. a JSON listing). */
export type Route = () => Promise<{ type: string; body: string | Uint8Array }> | { type: string; body: string | Uint8Array };

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** The server cannot listen where it was asked to: the message says why and what to do. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export interface ServerOptions {
  port?: number;
  host?: string;
  routes?: Record<string, Route>;
  /** Hears about files that could not be served (default: one line on stderr). */
  onError?: (message: string) => void;
}

/** A weak validator for a file: its size and modification time. */
export function etagOf(s: Stats): string {
  return `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;
}

function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const match = req.headers['if-none-match'];
  if (match !== undefined) return match.split(',').some((t) => t.trim() === etag || t.trim() === '*');
  const since = req.headers['if-modified-since'];
  if (since === undefined) return false;
  const t = Date.parse(since);
  return Number.isFinite(t) && Math.floor(mtimeMs / 1000) * 1000 <= t;
}

export function startStaticServer(mounts: Mount[], options: ServerOptions = {}): Promise<StaticServer> {
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  const routes = options.routes ?? {};
  const onError = options.onError ?? ((message: string) => process.stderr.write(`server: ${message}\n`));
  const base = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'X-Content-Type-Options': 'nosniff',
  };
  const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}, head = false) => {
    const body = Buffer.from(`${text}\n`);
    res.writeHead(status, { ...base, 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, ...extra });
    res.end(head ? undefined : body);
  };

  async function serveFile(req: IncomingMessage, res: ServerResponse, head: boolean): Promise<void> {
    const found = await resolveUrlPath(mounts, req.url ?? '/');
    if (!found) return plain(res, 404, 'not found', {}, head);
    let handle;
    try {
      handle = await open(found.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') return plain(res, 403, 'forbidden: the file cannot be read', {}, head);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return plain(res, 404, 'not found', {}, head);
      onError(`${found.path}: ${(err as Error).message}`);
      return plain(res, 500, 'the file could not be read', {}, head);
    }
    let s: Stats;
    try {
      s = await handle.stat();
    } catch (err) {
      await handle.close();
      onError(`${found.path}: ${(err as Error).message}`);
      return plain(res, 500, 'the file could not be read', {}, head);
    }
    if (!s.isFile() || s.dev !== found.dev || s.ino !== found.ino) {
      // not a file, or another file than the one resolved (swapped in since): not served
      await handle.close();
      return plain(res, 404, 'not found', {}, head);
    }
    const etag = etagOf(s);
    const headers = {
      ...base,
      'Cache-Control': CACHE_CONTROL[found.mount.cache ?? 'revalidate'],
      ETag: etag,
      'Last-Modified': new Date(s.mtimeMs).toUTCString(),
    };
    if (notModified(req, etag, s.mtimeMs)) {
      await handle.close();
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(found.path)] ?? 'application/octet-stream', 'Content-Length': s.size });
    if (head) {
      await handle.close();
      res.end();
      return;
    }
    // pipeline closes the file when the client goes away or a read fails; the
    // length was promised, so a failed read can only cut the connection
    if (s.size === 0) {
      await handle.close();
      res.end();
      return;
    }
    const stream = handle.createReadStream({ start: 0, end: s.size - 1 });
    try {
      await pipeline(stream, res);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ERR_STREAM_PREMATURE_CLOSE') onError(`${found.path}: ${(err as Error).message}`);
      res.destroy();
    }
  }

  const server: Server = createServer((req, res) => {
    const get = req.method === 'GET';
    const head = req.method === 'HEAD';
    if (!get && !head) return plain(res, 405, 'method not allowed: only GET and HEAD', { Allow: 'GET, HEAD' });
    const route = routes[(req.url ?? '/').split('?')[0]];
    const work = route
      ? Promise.resolve(route()).then(({ type, body }) => {
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        res.writeHead(200, { ...base, 'Cache-Control': 'no-store', 'Content-Type': type, 'Content-Length': bytes.length });
        res.end(head ? undefined : bytes);
      })
      : serveFile(req, res, head);
    work.catch((err: unknown) => {
      onError(`${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) plain(res, 500, 'internal error', {}, head);
      else res.destroy();
    });
  });
  return new Promise((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(listenError(err, port, host)));
    server.listen(port, host, () => {
      const address = server.address();
      const p = typeof address === 'object' && address ? address.port : port;
      const shown = isIP(host) === 6 ? `[${host}]` : host;
      ok({
        url: `http://${shown}:${p}/`,
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (err.code) {
    case 'EADDRINUSE': return new PortInUseError(`port ${port} on ${host} is in use; pass --port with another one`);
    case 'EADDRNOTAVAIL': return new ListenError(`${host} is not an address of this machine; pass --host 127.0.0.1 (this machine only) or one of its own addresses`);
    case 'EACCES': return new ListenError(`port ${port} needs more rights than this user has; pass --port 1024 or higher`);
    case 'ENOTFOUND': case 'EAI_AGAIN': return new ListenError(`${host} is not a known host name; pass --host with an IP address such as 127.0.0.1`);
    default: return err;
  }
}

/** A host option: an IPv4 or IPv6 address, or 'localhost'. */
export function checkHost(host: string): string | null {
  return isIP(host) !== 0 || host === 'localhost' ? null : 'must be an IP address such as 127.0.0.1 (or localhost)';
}
