// nn/parallel/tickets.ts: how threads share out the chunks of a phase over
// an Int32Array of shared memory (Atomics), and how they wait. Command g's
// chunks of a phase with C chunks are tickets (g − 1)·C … g·C − 1 (int32
// arithmetic, wrapping): a `claim` slot holds the next ticket to take, a
// `done` slot counts the finished ones. Thread 0 opens a command's phases
// before it starts and closes the others, so a thread that reads a command
// late finds nothing to claim. Waiting spins, then sleeps.

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
 * One phase of command g, with C chunks, from this thread: claims the next
 * chunk and does it, until none is left; then waits until every chunk is done
 * (some may be on other threads). `work(c)` runs chunk c; control[ran] counts
 * the chunks this thread ran.
 */
export function runPhase(
  control: Int32Array, claim: number, done: number, g: number, C: number, failure: FailureCheck, work: (c: number) => void, ran: number,
): void {
  const end = Math.imul(g, C);
  const first = (end - C) | 0;
  for (;;) {
    const ticket = Atomics.load(control, claim);
    const c = (ticket - first) | 0;
    if (c < 0 || c >= C) break; // all taken (or a later command's)
    if (Atomics.compareExchange(control, claim, ticket, (ticket + 1) | 0) !== ticket) continue; // another thread took it
    work(c);
    control[ran]++;
    if (((Atomics.add(control, done, 1) + 1) | 0) === end) Atomics.notify(control, done);
  }
  waitFor(control, done, end, failure);
}

/** Thread 0, before command g: opens the phases it has (their tickets from (g − 1)·C) and closes the others. */
export function openPhases(control: Int32Array, g: number, phases: [claim: number, done: number, C: number, open: boolean][]): void {
  for (const [claim, done, C, open] of phases) {
    const at = open ? Math.imul(g - 1, C) : Math.imul(g, C);
    Atomics.store(control, claim, at);
    Atomics.store(control, done, at);
  }
}
