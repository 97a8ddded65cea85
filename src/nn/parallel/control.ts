// nn/parallel/control.ts: the control array the threads share (an Int32Array
// over a SharedArrayBuffer): which command runs (a step, an evaluation, exit)
// and with what, the ticket counters of each phase (tickets.ts), how many
// workers are ready (startup.ts), how many chunks each thread ran, and a
// failed thread's message, which thread 0 reads instead of waiting for ever.

import { SCRATCH_SLOTS } from '../../kernels/wasm.js';

export const GENERATION = 0; // bumped by thread 0 to start command number GENERATION (a step or an evaluation)
export const COMMAND = 1; // STEP, EVALUATE or EXIT
export const M = 2; // mini-batch size of this step
export const START = 3; // its first position in `order`
export const STEPS = 4; // the optimizer's step number for this step (Adam's t), for whichever thread steps rows
export const FAILED = 5; // 1 + the number of a thread that failed (0: none): the others stop waiting for it
export const EPOCH = 6; // the step's epoch, which augmentation draws by
export const READY = 7; // how many workers are ready: they add 1 once attached
export const ETA = 1; // Float64Array slot (bytes 8..15 after the ints)
// Ticket counters, each on its own 64-byte line. Command g's chunks of a phase
// with C chunks are tickets (g − 1)·C … g·C − 1 (int32 arithmetic, wrapping):
// CLAIM is the next ticket to take, DONE counts the finished ones. Thread 0
// sets both to (g − 1)·C before command g if the phase is part of it, and to
// g·C (nothing to take, all done) if not; so a thread that reads a command
// late finds nothing to claim instead of doing the wrong work.
export const CLAIM_A = 16; // phase 1 (columns)
export const DONE_A = 32;
export const CLAIM_B = 48; // phase 2 (rows)
export const DONE_B = 64;
export const CLAIM_E = 80; // an evaluation's chunks
export const DONE_E = 96;
export const HITS = 112; // HITS + c: evaluation chunk c's count of right answers
export const RAN = HITS + 64; // RAN + 16·t: the chunks thread t has run (each thread's count on a line of its own)
export const STEP = 1;
export const EXIT = 2;
export const EVALUATE = 3;
/** As many as the WebAssembly memory has scratch slots: each thread's gemm lists its own nonzero steps. */
export const MAX_THREADS = SCRATCH_SLOTS;
export const CONTROL_INTS = RAN + 16 * MAX_THREADS;
// after the ints and η (16 bytes): a failed thread's message, its byte length first, then UTF-8
const MESSAGE_AT = CONTROL_INTS * 4 + 16;
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
