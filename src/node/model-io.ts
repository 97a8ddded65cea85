// node/model-io.ts: model files on disk: read (capped in size) and validate,
// or write atomically (a crash mid-write leaves the previous file intact).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelFileError, parseModel, serializeModel, type LoadedModel, type TrainingMeta } from '../nn/model-file.js';
import type { Network } from '../nn/network.js';
import type { LayerStack } from '../nn/layers.js';
import { writeFileAtomic } from './atomic.js';

/** The largest model file read: the biggest network a file may hold (MAX_PARAMETERS) is far smaller in practice; ch6-dropout's is ~20 MB. */
export const MAX_MODEL_FILE_BYTES = 256 * 1024 * 1024;

/** A model file's text, refusing anything but a regular file of at most `maxBytes`. */
export function readModelText(path: string, maxBytes = MAX_MODEL_FILE_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw new ModelFileError(`${path}: not a regular file; a model is a .json file written by npm run train`);
    if (s.size > maxBytes) {
      throw new ModelFileError(`${path}: ${mb(s.size)}, more than the ${mb(maxBytes)} a model file may have; is it a model file?`);
    }
    const buf = Buffer.alloc(s.size);
    let at = 0;
    while (at < s.size) {
      const n = readSync(fd, buf, at, s.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.toString('utf8', 0, at);
  } finally {
    closeSync(fd);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

export function loadModelFile(path: string, maxBytes = MAX_MODEL_FILE_BYTES): LoadedModel {
  return parseModel(readModelText(path, maxBytes), path);
}

export function saveModelFile(path: string, net: Network | LayerStack, meta: TrainingMeta | null = null): void {
  writeFileAtomic(path, serializeModel(net, meta));
}
