// nn/optimizers/checkpoint.ts: an optimizer's state as bytes, kept beside a
// model checkpoint (<model>.optimizer.bin) so that a resumed run goes on
// exactly as if it had not stopped, for every rule alike. Layout: a line
// "digitnet-optimizer 1", a line of JSON {settings, steps, count, arrays},
// zero padding to a multiple of 4 bytes, then each state array's `count`
// float32 values (little-endian) in the order `arrays` names them.

import type { Optimizer, OptimizerSettings } from './optimizer.js';

const MAGIC = 'digitnet-optimizer 1\n';
const MAX_HEADER = 4096;

export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

/** The bytes of `opt`'s state for a network of `count` parameters. */
export function encodeOptimizerState(opt: Optimizer, count: number): Uint8Array {
  const header = `${MAGIC}${JSON.stringify({ settings: opt.settings, steps: opt.steps, count, arrays: opt.stateNames })}\n`;
  const head = new TextEncoder().encode(header);
  const start = Math.ceil(head.length / 4) * 4;
  const out = new Uint8Array(start + opt.state.length * count * 4);
  out.set(head);
  const view = new DataView(out.buffer);
  opt.state.forEach((a, k) => {
    if (a.length !== count) throw new RangeError(`optimizer state ${opt.stateNames[k]}: ${a.length} values, expected ${count}`);
    const at = start + k * count * 4;
    for (let i = 0; i < count; i++) view.setFloat32(at + i * 4, a[i], true);
  });
  return out;
}

export interface DecodedState {
  settings: OptimizerSettings;
  steps: number;
  arrays: Float32Array[];
}

/** Reads encodeOptimizerState's bytes for a network of `count` parameters; `name` is used in messages. */
export function decodeOptimizerState(bytes: Uint8Array, count: number, name: string): DecodedState {
  const fail = (what: string): never => {
    throw new OptimizerStateError(`${name}: ${what}`);
  };
  const text = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, MAX_HEADER)));
  if (!text.startsWith(MAGIC)) fail('not an optimizer state file (no "digitnet-optimizer 1" line)');
  const end = text.indexOf('\n', MAGIC.length);
  if (end < 0) fail('its header line is missing or too long');
  let h: { settings?: OptimizerSettings; steps?: unknown; count?: unknown; arrays?: unknown };
  try {
    h = JSON.parse(text.slice(MAGIC.length, end));
  } catch {
    return fail('its header is not JSON');
  }
  if (typeof h !== 'object' || h === null || typeof h.settings !== 'object' || h.settings === null) fail('its header has no settings');
  if (h.count !== count) fail(`it holds state for ${String(h.count)} parameters; this network has ${count}`);
  if (!Number.isSafeInteger(h.steps) || (h.steps as number) < 0) fail('its step count is not a whole number ≥ 0');
  if (!Array.isArray(h.arrays) || !h.arrays.every((a) => typeof a === 'string') || h.arrays.length > 8) fail('its list of arrays is damaged');
  const names = h.arrays as string[];
  const start = Math.ceil(new TextEncoder().encode(text.slice(0, end + 1)).length / 4) * 4;
  if (bytes.length !== start + names.length * count * 4) fail(`${bytes.length} bytes, expected ${start + names.length * count * 4}: cut short or damaged`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const arrays = names.map((_, k) => {
    const a = new Float32Array(count);
    const at = start + k * count * 4;
    for (let i = 0; i < count; i++) a[i] = view.getFloat32(at + i * 4, true);
    return a;
  });
  return { settings: h.settings as OptimizerSettings, steps: h.steps as number, arrays };
}

/** Puts decoded state into `opt` (bound to its arrays), if it is state for the same rule; returns whether it did. */
export function restoreOptimizerState(opt: Optimizer, d: DecodedState): boolean {
  if (d.settings.name !== opt.settings.name || d.arrays.length !== opt.stateNames.length) return false;
  d.arrays.forEach((a, k) => opt.state[k].set(a));
  opt.steps = d.steps;
  return true;
}
