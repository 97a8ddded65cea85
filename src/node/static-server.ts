// node/static-server.ts: a small static file server on loopback for the
// browser pages (the bench page now, the drawing page later). Serves each
// mount's folder under its URL prefix, never a path outside it; sends the
// cross-origin isolation headers that SharedArrayBuffer (and so threads)
// needs in a browser.

import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

export interface Mount {
  /** URL prefix, e.g. '/' or '/mnist/'. */
  prefix: string;
  dir: string;
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

/** The file a URL path names under the mounts, or null (outside them, or no such file). */
export function resolveUrlPath(mounts: Mount[], urlPath: string): string | null {
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
    let file = resolve(join(root, path.slice(m.prefix.length)));
    if (file !== root && !file.startsWith(root + sep)) return null;
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      if (statSync(file).isFile()) return file;
    } catch {
      return null;
    }
    return null;
  }
  return null;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** A generated answer for one exact path (e.g. a JSON listing). */
export type Route = () => { type: string; body: string | Uint8Array };

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export function startStaticServer(
  mounts: Mount[], port = 0, host = '127.0.0.1', routes: Record<string, Route> = {},
): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    const route = routes[(req.url ?? '/').split('?')[0]];
    if (route && (req.method === 'GET' || req.method === 'HEAD')) {
      const { type, body } = route();
      res.writeHead(200, { ...headers, 'Content-Type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolveUrlPath(mounts, req.url ?? '/') : null;
    if (!file) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, { ...headers, 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new PortInUseError(`port ${port} on ${host} is in use; pass --port with another one`) : err),
    );
    server.listen(port, host, () => {
      const address = server.address();
      const p = typeof address === 'object' && address ? address.port : port;
      ok({
        url: `http://${host}:${p}/`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
