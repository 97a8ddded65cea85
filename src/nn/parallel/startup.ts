// nn/parallel/startup.ts: whether the worker threads have started, as thread 0
// sees it. A worker counts itself ready in a slot of the shared control array
// once it is attached to the network, then says so by message. Thread 0 reads
// the slot between its steps: while it trains it takes no messages (its event
// loop does not turn), so a run that does not wait for the workers learns
// from the slot when they are there. A worker that fails before it is ready
// leaves its reason in the control array (threads.ts) or, if it never got
// that far (its code did not load), in a message.

import type { FailureCheck } from './tickets.js';

export class Startup {
  /** Workers not yet ready when last looked. */
  private left: number;
  /** Workers that said by message they are ready (each has also counted itself in the slot). */
  private said = 0;
  /** A worker that could not start, by message. */
  private failed: Error | null = null;
  private readonly waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];

  /** `workers` workers, counting themselves in control[slot]; `failure` reads a failure they left there. */
  constructor(private readonly workers: number, private readonly control: Int32Array, private readonly slot: number, private readonly failure: FailureCheck) {
    this.left = workers;
  }

  /** Whether every worker is ready; throws if one failed before it was. Cheap enough for every step. */
  done(): boolean {
    if (this.left === 0) return true;
    const err = this.failed ?? this.failure(this.control);
    if (err) throw err;
    this.left = this.workers - Math.max(Atomics.load(this.control, this.slot), this.said);
    return this.left === 0;
  }

  /** Worker t's message while it starts: ready, or why it could not start. */
  heard(t: number, msg: { ready?: boolean; error?: string }): void {
    if (msg.ready) this.said++;
    if (msg.error && this.left > 0) this.failed ??= new Error(`thread ${t}: ${msg.error}`); // a later failure reaches thread 0 through the control array
    let all: boolean;
    try {
      all = this.done();
    } catch (err) {
      for (const w of this.waiting.splice(0)) w.reject(err as Error);
      return;
    }
    if (all) for (const w of this.waiting.splice(0)) w.resolve();
  }

  /** Resolves once every worker is ready; rejects if one could not start. */
  ready(): Promise<void> {
    try {
      if (this.done()) return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}
