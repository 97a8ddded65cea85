// scripts/build-web.ts: `npm run build:web`: bundles the page (web/) with
// esbuild into dist/web/ (git-ignored): the app, the training worker and its
// threads, plus the HTML and CSS. No CDN: the page works offline.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
export const WEB_OUT = join(root, 'dist', 'web');

export async function buildWeb(out = WEB_OUT): Promise<string> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      app: join(root, 'web/app.ts'),
      'train-worker': join(root, 'web/train-worker.ts'),
      'thread-worker': join(root, 'web/thread-worker.ts'),
    },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: true,
    logLevel: 'error',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(out, f));
  return out;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const out = await buildWeb();
  process.stdout.write(`built the page into ${out}\n`);
}
