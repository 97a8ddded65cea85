// node/model-io.ts: model files on disk: read (capped in size) and validate,
// or write atomically (a crash mid-write leaves the previous file intact).

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ModelFileError, parseModel, serializeModel, type LoadedModel, type TrainingMeta } from '../nn/model-file.js';
import type { Network } from '../nn/network.js';
import type { LayerStack } from '../nn/stack.js';
import { writeFileAtomic } from './atomic.js';
import type { Optimizer } from '../nn/optimizers/index.js';
import { decodeOptimizerState, OptimizerStateError, restoreOptimizerState } from '../nn/optimizers/checkpoint.js';
import { RunError } from './cli.js';
import { readCapped } from './capped-read.js';

const modelError = (message: string) => new ModelFileError(message);

/** The largest model file read: the biggest network a file may hold (MAX_PARAMETERS) is far smaller in practice; ch6-dropout's is ~20 MB. */
export const MAX_MODEL_FILE_BYTES = 256 * 1024 * 1024;

/** A model file's text, refusing anything but a regular file of at most `maxBytes`. */
export function readModelText(path: string, maxBytes = MAX_MODEL_FILE_BYTES): string {
  return readCapped(path, maxBytes, 'a model is a .json file written by npm run train', 'a model file', modelError).toString('utf8');
}

export function loadModelFile(path: string, maxBytes = MAX_MODEL_FILE_BYTES): LoadedModel {
  return parseModel(readModelText(path, maxBytes), path);
}

export function saveModelFile(path: string, net: Network | LayerStack, meta: TrainingMeta | null = null): void {
  writeFileAtomic(path, serializeModel(net, meta));
}

/**
 * Puts a resumed run's optimizer state (<model>.optimizer.bin, written beside
 * each checkpoint) into `opt`. Returns a line to print when the state starts
 * from zero instead (no file, or another rule's); a damaged file is an error.
 */
export function resumeOptimizerState(opt: Optimizer, path: string, count: number): string | null {
  if (!opt.stateNames.length) return null;
  const rule = opt.settings.name;
  if (!existsSync(path)) return `no ${basename(path)} beside the checkpoint: ${rule}'s state (${opt.stateNames.join(', ')}) starts from zero`;
  let bytes: Buffer;
  try {
    bytes = readCapped(path, 4096 + 8 * 4 * count, 'the optimizer state is a file written by npm run train', 'an optimizer state file', modelError);
    const d = decodeOptimizerState(bytes, count, path);
    if (!restoreOptimizerState(opt, d)) return `${basename(path)} holds ${d.settings.name}'s state; ${rule}'s starts from zero`;
    return null;
  } catch (err) {
    if (err instanceof OptimizerStateError || err instanceof ModelFileError) throw new RunError(`${err.message}; delete it to start ${rule}'s state from zero`);
    throw err;
  }
}
