// nn/parallel/tickets.ts: how threads share out the chunks of a phase over
// an Int32Array of shared memory (Atomics), and how they wait. Chunk c of a
// phase has a claim slot: thread 0 opens it for command g by setting it to
// g − 1, and a compare-exchange from g − 1 to g takes it; any other value
// means taken, or open for another command, so a thread that reads a command
// late (or is descheduled in one) never takes a chunk of the next. A `done`
// slot counts the finished chunks: command g's are (g − 1)·C … g·C (int32
// arithmetic, wrapping). Waiting spins, then sleeps.

/** What a waiting thread checks while it sleeps: another thread's failure, to throw instead of waiting for ever. */
export type FailureCheck = (control: Int32Array) => Error | null;

const SPINS = 200000; // about 0.1–0.5 ms of polling before a thread sleeps (Chromium wakes sleepers slowly)

/** Waits until control[slot] differs from `value` (spin, then Atomics.wait). */
export function waitWhile(control: Int32Array, slot: number, value: number, failure: FailureCheck): void {
  for (let i = 0; i < SPINS; i++) if (Atomics.load(control, slot) !== value) return;
  while (Atomics.load(control, slot) === value) {
    const err = failure(control);
    if (err) throw err;
    Atomics.wait(control, slot, value, 50);
  }
}

/** Waits until the counter control[slot] reaches `target` (compared as int32 tickets, which wrap). */
function waitFor(control: Int32Array, slot: number, target: number, failure: FailureCheck): void {
  let seen = Atomics.load(control, slot);
  while (((seen - target) | 0) < 0) {
    waitWhile(control, slot, seen, failure);
    seen = Atomics.load(control, slot);
  }
}

/**
 * One phase of command g, with C chunks, from thread t: claims chunk t first
 * (so each thread keeps to its own part of the arrays, step after step, while
 * both keep up), then any other not yet claimed, and does each it takes; then
 * waits until every chunk is done (some may be on other threads). `work(c)`
 * runs chunk c; control[ran] counts the chunks this thread ran.
 */
export function runPhase(
  control: Int32Array, claim: number, done: number, g: number, C: number, failure: FailureCheck, work: (c: number) => void, ran: number, t: number,
): void {
  const end = Math.imul(g, C);
  const open = (g - 1) | 0; // a chunk of command g not yet taken; anything else is taken, or another command's
  for (let i = 0; i < C; i++) {
    const c = (t + i) % C;
    if (Atomics.compareExchange(control, claim + c, open, g) !== open) continue;
    work(c);
    control[ran]++;
    if (((Atomics.add(control, done, 1) + 1) | 0) === end) Atomics.notify(control, done);
  }
  waitFor(control, done, end, failure);
}

/** Thread 0, before command g: opens the phases it has (nothing claimed, (g − 1)·C done) and closes the others (all claimed and done). */
export function openPhases(control: Int32Array, g: number, phases: [claim: number, done: number, C: number, open: boolean][]): void {
  for (const [claim, done, C, open] of phases) {
    const at = open ? (g - 1) | 0 : g;
    for (let c = 0; c < C; c++) Atomics.store(control, claim + c, at);
    Atomics.store(control, done, Math.imul(at, C));
  }
}
