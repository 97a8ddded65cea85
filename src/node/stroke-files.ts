// node/stroke-files.ts: stroke sets (draw/stroke-set.ts) on disk: a file, or
// every .json file of a folder, each read capped in size and checked.

import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseStrokeSet, StrokeSetError, type StrokeSet } from '../draw/stroke-set.js';
import { readCapped } from './capped-read.js';
import { RunError } from './cli.js';

/** The largest stroke-set file read: 10,000 digits of 100 points take about 20 MB. */
export const MAX_STROKE_SET_BYTES = 64 * 1024 * 1024;

/** The stroke sets at `path`: the file, or each .json file in the folder (by name). */
export function readStrokeSets(path: string, maxBytes = MAX_STROKE_SET_BYTES): { file: string; set: StrokeSet }[] {
  const files = lstatSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new RunError(`${path}: a folder with no .json stroke sets in it`);
  return files.map((file) => {
    const text = readCapped(file, maxBytes, 'a stroke set is a .json file (npm run drawn-set writes one)', 'a stroke set', (m) => new RunError(m)).toString('utf8');
    try {
      return { file, set: parseStrokeSet(text, file) };
    } catch (err) {
      if (err instanceof StrokeSetError) throw new RunError(err.message);
      throw err;
    }
  });
}
