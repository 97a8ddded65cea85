// node/run-files.ts: the files a training run writes (the model, and beside
// it its curves, chart and momentum), guarded before the first epoch starts:
// the path must be writable and hold nothing but a regular file; one run at a
// time per model (a lock file beside it, taken over from a run that died);
// temporary files a killed run left behind are cleared; and a model trained
// with other settings is not replaced unless asked to.

import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RunError, UsageError } from './cli.js';
import { describeModel, ModelFileError } from '../nn/model-file.js';
import { Network } from '../nn/network.js';
import { loadModelFile } from './model-io.js';

/** What the path is, when it is not a regular file: for messages. */
function kindOf(path: string): string | null {
  let s;
  try {
    s = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // absent (a later step says why it cannot be made)
    throw err;
  }
  if (s.isFile()) return null;
  if (s.isDirectory()) return 'a folder';
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isFIFO()) return 'a pipe';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless `path` is absent or a regular file (never replace a link, a device or a folder); `instead` says what to pass. */
export function checkReplaceable(path: string, flag = '--out', instead = 'a path for a new file or a model file'): void {
  const kind = kindOf(path);
  if (kind) throw new UsageError(`${flag} ${path} is ${kind}; refusing to replace it: pass ${instead}`);
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'the disk is full';
    case 'ENOTDIR': case 'EEXIST': return 'a part of the path is not a folder';
    case 'ENOENT': return 'files cannot be created there';
    default: return (err as Error).message;
  }
}

/**
 * Checks, before any training, that the run can write `path` and the files
 * beside it (`siblings`): a non-empty path to a regular file or none, in a
 * folder that exists (or can be made) and takes new files.
 */
export function checkOutput(path: string, siblings: string[] = [], flag = '--out'): void {
  if (path.trim() === '') throw new UsageError(`${flag} must name a file, e.g. ${flag} data/models/mine.json`);
  if (path.endsWith('/')) throw new UsageError(`${flag} ${path} names a folder; give a file name, e.g. ${path}mine.json`);
  for (const p of [path, ...siblings]) checkReplaceable(p, p === path ? flag : `${flag}'s companion file`);
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.${basename(path)}.probe-${randomBytes(4).toString('hex')}`);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (err) {
    throw new RunError(`cannot write ${path}: ${why(err)}; pass --out with a path in a writable folder`);
  }
}

/** Removes the temporary files that a killed run left beside `path` (`<path>.tmp-…`); returns their names. */
export function removeStaleTemps(paths: string[]): string[] {
  const removed: string[] = [];
  for (const path of paths) {
    const dir = dirname(path);
    const prefix = `${basename(path)}.tmp-`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const full = join(dir, name);
      if (kindOf(full) !== null) continue; // only regular files are ours
      rmSync(full, { force: true });
      removed.push(full);
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * An exclusive lock on a model file for a run's life: `<path>.lock`, created
 * only if absent, holding the owner's pid and host. A lock whose process is
 * gone (on this host) is stale and taken over. Released on exit, Ctrl-C or
 * SIGTERM; after kill -9 the next run finds it stale.
 */
export class OutputLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string) {
    process.once('exit', this.onExit);
  }

  static take(path: string): OutputLock {
    const file = `${path}.lock`;
    const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, mine);
        closeSync(fd);
        return new OutputLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new RunError(`cannot create the lock file ${file}: ${why(err)}`);
        }
      }
      checkReplaceable(file, 'the lock file');
      let owner: { pid?: unknown; host?: unknown } = {};
      try {
        owner = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        owner = {}; // unreadable or half-written: treated as stale below
      }
      const pid = typeof owner.pid === 'number' && Number.isInteger(owner.pid) && owner.pid > 0 ? owner.pid : null;
      if (pid !== null && owner.host !== hostname()) {
        throw new RunError(`${path} is being written by a run on ${String(owner.host)} (pid ${pid}, ${file}); wait for it, or delete the lock file if that run is gone`);
      }
      if (pid !== null && alive(pid)) {
        throw new RunError(`${path} is being written by another training run (pid ${pid}); wait for it to finish, or pass another --out`);
      }
      rmSync(file, { force: true }); // stale: its run is gone
    }
    throw new RunError(`cannot take the lock ${file}: other runs keep taking it; pass another --out`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    try {
      const owner = JSON.parse(readFileSync(this.file, 'utf8'));
      if (owner.pid === process.pid) rmSync(this.file, { force: true });
    } catch {
      // already gone
    }
  }
}

/**
 * Refuses to replace a file that is not a model of the same run: another
 * network or other settings (the same settings give the same model, bit for
 * bit, so that one is replaced), a model without settings, or not a model.
 */
export function refuseOtherRun(out: string, run: Record<string, string | number | boolean>): void {
  const hint = 'pass another --out, --resume it to continue it, or --force to replace it';
  let loaded;
  try {
    loaded = loadModelFile(out);
  } catch (err) {
    if (err instanceof ModelFileError) throw new RunError(`${out} exists and is not a digitnet model this run can replace (${err.message.replace(`${out}: `, '')}); ${hint}`);
    throw err;
  }
  if (!loaded.meta) throw new RunError(`${out} holds a model without training settings; ${hint}`);
  const m = loaded.meta;
  const net = loaded.network;
  const file: Record<string, string | number | boolean | undefined> = {
    network: describeModel(net), cost: net instanceof Network ? net.cost.name : net.costName,
    ...(net instanceof Network ? { activation: net.activation.name } : {}),
    seed: m.seed, epochs: m.epochs, miniBatchSize: m.miniBatchSize, eta: m.eta, shuffle: m.shuffle, trainSize: m.trainSize,
    evaluatedOn: m.evaluatedOn, init: m.init, lambda: m.lambda ?? 0, momentum: m.momentum ?? 0, dropout: m.dropout ?? 0, labelSmoothing: m.labelSmoothing ?? 0,
    expand: m.expand ?? false, cleanEpochs: m.cleanEpochs ?? 0, cleanEta: m.cleanEpochs ? m.cleanEta : undefined, redrawn: m.redrawn ?? false, traceScale: m.traceScale ?? 1, outlineBlobs: m.outlineBlobs ?? false, backend: m.backend,
  };
  const diffs = Object.keys(run)
    .filter((k) => file[k] !== undefined && file[k] !== run[k])
    .map((k) => `${k} ${String(file[k])} there, ${String(run[k])} here`);
  if (!(net instanceof Network) !== (run.activation === undefined)) diffs.unshift('another kind of network');
  if (diffs.length) throw new RunError(`${out} holds a run with other settings (${diffs.slice(0, 4).join('; ')}${diffs.length > 4 ? '; …' : ''}); ${hint}`);
}
