// nn/parallel/control.ts: the control array the threads share (an Int32Array
// over a SharedArrayBuffer): which command runs (a step, an evaluation, exit)
// and with what, the claims and counters of each phase (tickets.ts), where
// the chunks cut a phase and how long each took (balance.ts), how many
// workers are ready (startup.ts), how many chunks each thread ran, and a
// failed thread's message, which thread 0 reads instead of waiting for ever.

import { SCRATCH_SLOTS } from '../../kernels/wasm.js';

export const GENERATION = 0; // bumped by thread 0 to start command number GENERATION (a step or an evaluation)
export const COMMAND = 1; // STEP, EVALUATE or EXIT
export const M = 2; // mini-batch size of this step
export const START = 3; // its first position in `order`
export const STEPS = 4; // the optimizer's step number for this step (Adam's t), for whichever thread steps rows
export const FAILED = 5; // 1 + the number of a thread that failed (0: none): the others stop waiting for it
export const EPOCH = 6; // the step's epoch, which augmentation draws by (−1: the images undistorted)
export const READY = 7; // how many workers are ready: they add 1 once attached
// The chunks of a phase: CLAIM + c is chunk c's claim slot, DONE counts the
// finished chunks, on a 64-byte line of its own. Thread 0 opens a phase before
// command g if it is part of it (every claim slot at g − 1, DONE at (g − 1)·C)
// and closes it if not (claim slots at g, DONE at g·C); a compare-exchange from
// g − 1 to g takes a chunk (tickets.ts), so a thread that reads a command late
// finds nothing to claim instead of doing the wrong work. Command g's chunks
// count as done at g·C (int32 arithmetic, wrapping).
const LINE = 16; // a 64-byte line of ints
/** As many as the WebAssembly memory has scratch slots: each thread's gemm lists its own nonzero steps. */
export const MAX_THREADS = SCRATCH_SLOTS;
const CHUNKS = MAX_THREADS; // claim slots per phase: a chunk per thread at most
export const CLAIM_A = LINE; // phase 1 (columns)
export const DONE_A = CLAIM_A + CHUNKS;
export const CLAIM_B = DONE_A + LINE; // phase 2 (rows)
export const DONE_B = CLAIM_B + CHUNKS;
export const CLAIM_E = DONE_B + LINE; // an evaluation's chunks
export const DONE_E = CLAIM_E + CHUNKS;
export const HITS = DONE_E + LINE; // HITS + c: evaluation chunk c's count of right answers
export const RAN = HITS + CHUNKS; // RAN + 16·t: the chunks thread t has run (each thread's count on a line of its own)
// Where the chunks of a step's phase p (0: columns, 1: rows) cut its work, and
// who ran them in how long (balance.ts): CUTS + p·PHASE_STRIDE + c, for
// c = 0 … C, is where chunk c begins, in 1/CUT_ONE of the phase's work
// (0 … CUT_ONE), set by thread 0 before the step; RUNNER + p·PHASE_STRIDE + c,
// the thread that ran chunk c; and the float at TIMES + p·CHUNKS + c (after
// the ints), its time in milliseconds.
export const PHASE_STRIDE = CHUNKS + LINE;
export const CUTS = RAN + LINE * CHUNKS;
export const RUNNER = CUTS + 2 * PHASE_STRIDE;
export const CUT_ONE = 1 << 16;
export const STEP = 1;
export const EXIT = 2;
export const EVALUATE = 3;
export const CONTROL_INTS = RUNNER + 2 * PHASE_STRIDE;
// after the ints, float64s: η at ETA, the chunks' times from TIMES; then a
// failed thread's message, its byte length first, then UTF-8
export const ETA = 1;
export const TIMES = 2;
export const FLOATS = TIMES + 2 * CHUNKS;
const MESSAGE_AT = CONTROL_INTS * 4 + 8 * FLOATS;
const MESSAGE_BYTES = 1024;
export const CONTROL_BYTES = MESSAGE_AT + 4 + MESSAGE_BYTES;

/** A failing thread leaves its error message for thread 0 (which is blocked in a wait and cannot read a posted message). */
function leaveMessage(control: Int32Array, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, MESSAGE_BYTES);
  new Uint8Array(control.buffer, MESSAGE_AT + 4, MESSAGE_BYTES).set(bytes);
  new Int32Array(control.buffer, MESSAGE_AT, 1)[0] = bytes.length;
}

function readMessage(control: Int32Array): string {
  const n = new Int32Array(control.buffer, MESSAGE_AT, 1)[0];
  return new TextDecoder().decode(new Uint8Array(control.buffer, MESSAGE_AT + 4, n).slice()); // a copy: TextDecoder takes no shared memory
}
/** Thread t failed: its message, then its number, for thread 0 to report. */
export function fail(control: Int32Array, t: number, err: unknown): void {
  leaveMessage(control, err instanceof Error ? err.message : String(err));
  Atomics.store(control, FAILED, t + 1);
}

export function failure(control: Int32Array): Error | null {
  const failed = Atomics.load(control, FAILED);
  return failed ? new Error(`threads: worker thread ${failed - 1} failed: ${readMessage(control)}`) : null;
}
