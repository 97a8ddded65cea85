// node/models.ts: the models the page can offer: those `npm run train` saved
// in data/models/ (newest first), then the default one shipped in web/models/.
// Each with its sizes and best accuracy, or the reason it cannot be used.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseModel } from '../nn/model-file.js';
import { Network } from '../nn/network.js';

export interface ModelEntry {
  /** The URL the page fetches it from. */
  url: string;
  name: string;
  source: 'trained' | 'default';
  sizes: number[] | null;
  /** A layer stack's description (chapter 6), or null for a fully-connected network. */
  layers: string | null;
  /** Best evaluation accuracy during training, as recorded in the file (0–1), if any. */
  accuracy: number | null;
  evaluatedOn: string | null;
  modified: number;
  /** Why the file cannot be used, if it cannot. */
  error: string | null;
}

function entry(dir: string, file: string, urlBase: string, source: ModelEntry['source']): ModelEntry {
  const path = join(dir, file);
  const base: ModelEntry = {
    url: `${urlBase}${encodeURIComponent(file)}`, name: file, source, sizes: null, layers: null, accuracy: null,
    evaluatedOn: null, modified: statSync(path).mtimeMs, error: null,
  };
  try {
    const { network, meta } = parseModel(readFileSync(path, 'utf8'), file);
    const best = meta?.best;
    const shape = network instanceof Network ? { sizes: [...network.sizes] } : { layers: network.spec };
    return { ...base, ...shape, accuracy: best ? best.correct / best.total : null, evaluatedOn: meta?.evaluatedOn ?? null };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

export function listModels(trainedDir: string, defaultDir: string): ModelEntry[] {
  const json = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);
  const trained = json(trainedDir)
    .map((f) => entry(trainedDir, f, '/models/data/', 'trained'))
    .sort((a, b) => b.modified - a.modified);
  const shipped = json(defaultDir).map((f) => entry(defaultDir, f, '/models/default/', 'default'));
  return [...trained, ...shipped];
}
