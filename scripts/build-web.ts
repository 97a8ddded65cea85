// scripts/build-web.ts: `npm run build:web`: bundles the page (web/) with
// esbuild into dist/web/ (git-ignored): the app, the training worker and its
// threads, plus the HTML and CSS. No CDN: the page works offline.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
export const WEB_OUT = join(root, 'dist', 'web');

/** Bundles browser entry points (name → source file) as ES modules into `out`, with the files in `copy` (paths under web/). */
export async function bundleForBrowser(entryPoints: Record<string, string>, out: string, copy: string[] = []): Promise<string> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, file]) => [name, join(root, file)])),
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: true,
    logLevel: 'error',
  });
  for (const f of copy) copyFileSync(join(root, 'web', f), join(out, f.split('/').pop()!));
  return out;
}

export function buildWeb(out = WEB_OUT): Promise<string> {
  return bundleForBrowser(
    { app: 'web/app.ts', 'train-worker': 'web/train-worker.ts', 'thread-worker': 'web/thread-worker.ts' },
    out,
    ['index.html', 'style.css'],
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const out = await buildWeb();
  process.stdout.write(`built the page into ${out}\n`);
}
