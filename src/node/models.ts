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
  /** The evaluation accuracy of the weights the file holds (its last epoch), as recorded in it (0–1), if any. */
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
    const saved = meta?.history.length ? meta.history[meta.history.length - 1] : null; // the saved epoch, not the best one
    const shape = network instanceof Network ? { sizes: [...network.sizes] } : { layers: network.spec };
    return { ...base, ...shape, accuracy: saved ? saved.correct / saved.total : null, evaluatedOn: meta?.evaluatedOn ?? null };
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
