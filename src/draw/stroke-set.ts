// draw/stroke-set.ts: a file of drawn digits, each its label and its strokes
// in pad pixels (y down), as the page records them:
//   {"format": "digitnet-strokes 1", "source": "…", "pad": 320,
//    "digits": [{"label": 3, "strokes": [[[x, y], [x, y], …], …]}, …]}
// `npm run evaluate -- --drawn FILE` reads it; scripts/drawn-set.ts writes one.
// Parsing checks every field and says which digit and what is wrong.

import type { Stroke } from './preprocess.js';

export const STROKE_SET_FORMAT = 'digitnet-strokes 1';

export interface DrawnDigit {
  label: number;
  strokes: Stroke[];
}

export interface StrokeSet {
  /** Where the digits came from, in words. */
  source: string;
  /** The pad's side, in pixels. */
  pad: number;
  digits: DrawnDigit[];
}

/** The file's text: points rounded to 0.01 px. */
export function strokeSetText(set: StrokeSet): string {
  const r = (v: number) => Math.round(v * 100) / 100;
  const digits = set.digits.map((d) => JSON.stringify({ label: d.label, strokes: d.strokes.map((s) => s.map((p) => [r(p.x), r(p.y)])) }));
  return `{"format": ${JSON.stringify(STROKE_SET_FORMAT)}, "source": ${JSON.stringify(set.source)}, "pad": ${set.pad},\n "digits": [\n${digits.join(',\n')}\n]}\n`;
}

export class StrokeSetError extends Error {}

/** A stroke set from its file's text; `name` is how errors name the file. */
export function parseStrokeSet(text: string, name: string): StrokeSet {
  const fail = (what: string): never => {
    throw new StrokeSetError(`${name}: ${what}`);
  };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    fail(`not JSON (${(err as Error).message}); a stroke set is {"format": "${STROKE_SET_FORMAT}", "digits": [...]}`);
  }
  const o = j as { format?: unknown; source?: unknown; pad?: unknown; digits?: unknown };
  if (typeof o !== 'object' || o === null || o.format !== STROKE_SET_FORMAT) fail(`not a stroke set: expected "format": "${STROKE_SET_FORMAT}"`);
  if (!Array.isArray(o.digits) || o.digits.length === 0) fail('"digits" must be a list of at least one {"label", "strokes"}');
  const pad = o.pad === undefined ? 320 : o.pad;
  if (typeof pad !== 'number' || !(pad > 0) || !Number.isFinite(pad)) return fail(`"pad" must be a positive number of pixels; got ${JSON.stringify(o.pad)}`);
  const digits = (o.digits as unknown[]).map((d, k): DrawnDigit => {
    const e = d as { label?: unknown; strokes?: unknown };
    if (typeof e !== 'object' || e === null) fail(`digit ${k} is not {"label", "strokes"}`);
    if (!Number.isInteger(e.label) || (e.label as number) < 0 || (e.label as number) > 9) fail(`digit ${k}: "label" must be a whole number from 0 to 9; got ${JSON.stringify(e.label)}`);
    if (!Array.isArray(e.strokes) || e.strokes.length === 0) fail(`digit ${k}: "strokes" must be a list of at least one stroke`);
    const strokes = (e.strokes as unknown[]).map((s, i): Stroke => {
      if (!Array.isArray(s) || s.length === 0) fail(`digit ${k}, stroke ${i}: must be a list of at least one [x, y] point`);
      return (s as unknown[]).map((p, q) => {
        if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
          fail(`digit ${k}, stroke ${i}, point ${q}: must be [x, y], two finite numbers; got ${JSON.stringify(p)}`);
        }
        return { x: (p as number[])[0], y: (p as number[])[1] };
      });
    });
    return { label: e.label as number, strokes };
  });
  return { source: typeof o.source === 'string' ? o.source : '', pad, digits };
}
