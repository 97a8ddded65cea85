// node/models.ts: the models the page can offer: those `npm run train` saved
// in data/models/ (newest first), then the default one shipped in web/models/.
// Each with its sizes and accuracy, or the reason it cannot be used.
//
// The listing is served on every page load, so it is built to survive any
// folder: only regular *.json files whose real path lies inside the folder
// are listed (a link out of it or a dangling one is left out), a file larger
// than a model can be is not read, each file is read and checked once per
// (path, size, modification time) in a worker thread, so a large or hostile
// file never holds up the server, and one listing is built at a time however
// many requests ask for it.

import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { parseModel } from '../nn/model-file.js';
import { Network } from '../nn/network.js';
import { readModelText } from './model-io.js';
import { isInside } from './static-server.js';
import { startNodeWorker } from './threads.js';

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

/** What reading one file tells the listing. */
export type ModelSummary = Pick<ModelEntry, 'sizes' | 'layers' | 'accuracy' | 'evaluatedOn' | 'error'>;

export interface SummaryRequest {
  id: number;
  path: string;
  maxBytes: number;
}

/** Reads and checks one model file (the worker's job; also usable directly). */
export function summarizeModelFile(path: string, maxBytes: number): ModelSummary {
  const none = { sizes: null, layers: null, accuracy: null, evaluatedOn: null };
  try {
    const { network, meta } = parseModel(readModelText(path, maxBytes), path.split('/').pop()!);
    const saved = meta?.history.length ? meta.history[meta.history.length - 1] : null; // the saved epoch, not the best one
    return {
      ...none,
      ...(network instanceof Network ? { sizes: [...network.sizes] } : { layers: network.spec }),
      accuracy: saved ? saved.correct / saved.total : null,
      evaluatedOn: meta?.evaluatedOn ?? null,
      error: null,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const name = path.split('/').pop()!;
    // the page shows the file's name beside the reason: drop a leading path
    const reason = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
    return { ...none, error: reason };
  }
}

export interface CatalogOptions {
  /** Files larger than this are listed as unusable without being read (default 64 MiB). */
  maxBytes?: number;
  /** A file that takes longer than this to read is listed as unusable (default 20 s). */
  timeoutMs?: number;
  /** The worker's heap limit in MB (default 768): a file that needs more is listed as unusable. */
  heapMb?: number;
}

interface Cached {
  size: number;
  mtimeMs: number;
  summary: ModelSummary;
}

/** The page's model listing, cached per file. `list()` is what /models/index.json answers. */
export class ModelCatalog {
  /** How many files have been read (the cache's test). */
  reads = 0;
  private readonly cache = new Map<string, Cached>();
  private building: Promise<ModelEntry[]> | null = null;
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly heapMb: number;

  constructor(readonly trainedDir: string, readonly defaultDir: string, options: CatalogOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.heapMb = options.heapMb ?? 768;
  }

  /** The listing: trained models newest first, then the shipped ones. One build at a time; callers during a build share it. */
  list(): Promise<ModelEntry[]> {
    this.building ??= this.build().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private async build(): Promise<ModelEntry[]> {
    const trained = (await this.scan(this.trainedDir, '/models/data/', 'trained')).sort((a, b) => b.modified - a.modified);
    const shipped = await this.scan(this.defaultDir, '/models/default/', 'default');
    const seen = new Set([...trained, ...shipped].map((e) => e.url));
    for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    return [...trained, ...shipped];
  }

  private async scan(dir: string, urlBase: string, source: ModelEntry['source']): Promise<ModelEntry[]> {
    let root: string;
    let names: string[];
    try {
      root = await realpath(dir);
      names = await readdir(root);
    } catch {
      return []; // no such folder (yet), or not readable
    }
    const out: ModelEntry[] = [];
    for (const name of names.sort()) {
      // model files only: not the curves `npm run train` writes beside them
      if (!name.endsWith('.json') || name.endsWith('.metrics.json')) continue;
      let path: string;
      let size: number;
      let mtimeMs: number;
      try {
        path = await realpath(join(root, name));
        const s = await stat(path);
        if (!s.isFile() || !isInside(root, path)) continue; // a folder, a device, or a link out of the folder
        ({ size, mtimeMs } = s);
      } catch {
        continue; // a dangling or looping link, or gone since readdir
      }
      const url = `${urlBase}${encodeURIComponent(name)}`;
      let cached = this.cache.get(url);
      if (!cached || cached.size !== size || cached.mtimeMs !== mtimeMs) {
        const summary = size > this.maxBytes
          ? { sizes: null, layers: null, accuracy: null, evaluatedOn: null, error: `${(size / 1024 / 1024).toFixed(0)} MB, too large for a model file (the listing reads at most ${(this.maxBytes / 1024 / 1024).toFixed(0)} MB)` }
          : await this.summarize(path);
        cached = { size, mtimeMs, summary };
        this.cache.set(url, cached);
      }
      out.push({ url, name, source, modified: mtimeMs, ...cached.summary });
    }
    return out;
  }

  /** Reads one file in the worker; a file that times out or exhausts the worker's memory is unusable, and the worker is replaced. */
  private summarize(path: string): Promise<ModelSummary> {
    this.reads++;
    const worker = (this.worker ??= startNodeWorker('model-summary-worker', { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } }));
    worker.unref();
    const id = this.nextId++;
    const unusable = (error: string): ModelSummary => ({ sizes: null, layers: null, accuracy: null, evaluatedOn: null, error });
    return new Promise<ModelSummary>((done) => {
      const finish = (summary: ModelSummary, restart: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (restart && this.worker === worker) {
          this.worker = null;
          void worker.terminate();
        }
        done(summary);
      };
      const onMessage = (m: { id: number; summary: ModelSummary }) => {
        if (m.id === id) finish(m.summary, false);
      };
      const onError = (err: Error & { code?: string }) =>
        finish(unusable(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `needs more than ${this.heapMb} MB to read; is it a model file?` : `could not be read (${err.message})`), true);
      const onExit = () => finish(unusable('could not be read (the reader stopped)'), true);
      const timer = setTimeout(() => finish(unusable(`took more than ${this.timeoutMs / 1000} s to read; is it a model file?`), true), this.timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, path, maxBytes: this.maxBytes } satisfies SummaryRequest);
    });
  }
}
