// node/model-io.ts: model files on disk: read and validate, or write
// atomically (a crash mid-write leaves the previous file intact).

import { readFileSync } from 'node:fs';
import { parseModel, serializeModel, type LoadedModel, type TrainingMeta } from '../nn/model-file.js';
import type { Network } from '../nn/network.js';
import type { LayerStack } from '../nn/layers.js';
import { writeFileAtomic } from './atomic.js';

export function loadModelFile(path: string): LoadedModel {
  return parseModel(readFileSync(path, 'utf8'), path);
}

export function saveModelFile(path: string, net: Network | LayerStack, meta: TrainingMeta | null = null): void {
  writeFileAtomic(path, serializeModel(net, meta));
}
