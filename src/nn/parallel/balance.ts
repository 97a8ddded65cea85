// nn/parallel/balance.ts: where the chunks of a fully-connected step cut its
// work, so that the threads finish together. On a shared machine one core is
// often slower than the other for seconds at a time (another tenant on it or
// on its other half), and with even halves the fast thread waits for the slow
// one at every phase. Thread 0 times every chunk (who ran it, in how long),
// keeps a moving average of each thread's speed per phase (its share of the
// work per millisecond) and gives chunk t the share of the next step that
// thread t's speed earns it. Where the rows split cuts a phase never changes a
// value (rows.ts), so this changes speed, not weights. A replica split (with
// convolutions) cuts its mini-batch in fixed halves: there the cut changes
// the sums, so it is not balanced.

import { CUT_ONE, CUTS, MAX_THREADS, PHASE_STRIDE, RUNNER, TIMES } from './control.js';

/** How far one step's timing moves a thread's speed: its weight in the moving average. */
const ALPHA = 0.25;
/** Cuts fall on multiples of CUT_ONE / STEPS (so a split keeps a bounded set of views). */
export const CUT_STEPS = 64;
/** The least share of a phase a chunk keeps, against an even one: enough that a slow thread's speed is still measured. */
const LEAST = 0.25;

/** The chunks of one phase of a step: cuts (C + 1 of them, in 1/CUT_ONE of the work), and who ran each chunk in how long. */
export interface PhaseTimes {
  cuts: Int32Array;
  runners: Int32Array;
  times: Float64Array;
}

/** Phase p's cuts, runners and times in the control array (ints) and the floats after it. */
export function phaseTimes(control: Int32Array, floats: Float64Array, p: number): PhaseTimes {
  const at = p * PHASE_STRIDE;
  return {
    cuts: control.subarray(CUTS + at, CUTS + at + MAX_THREADS + 1),
    runners: control.subarray(RUNNER + at, RUNNER + at + MAX_THREADS),
    times: floats.subarray(TIMES + p * MAX_THREADS, TIMES + (p + 1) * MAX_THREADS),
  };
}

/** Chunk k of a phase, run by thread t: timed. */
export function timed(phase: PhaseTimes, k: number, t: number, work: () => void): void {
  const start = performance.now();
  work();
  phase.times[k] = performance.now() - start;
  phase.runners[k] = t;
}

export class Balance {
  /** [phase][thread]: share of the phase's work per millisecond (0: not measured yet). */
  private readonly speeds: Float64Array[];

  constructor(readonly T: number, phases: number) {
    this.speeds = Array.from({ length: phases }, () => new Float64Array(T));
  }

  /** Even cuts: before any timing, and whenever the balance starts over. */
  static even(cuts: Int32Array, C: number): void {
    for (let c = 0; c <= C; c++) cuts[c] = Math.round((c * CUT_STEPS) / C) * (CUT_ONE / CUT_STEPS);
  }

  /** Thread 0 after a step on every thread: learns each thread's speed from phase p's chunks, and cuts phase p of the next step by them. */
  record(p: number, phase: PhaseTimes): void {
    const { cuts, runners, times } = phase;
    const speed = this.speeds[p];
    const C = this.T;
    for (let c = 0; c < C; c++) {
      const share = cuts[c + 1] - cuts[c];
      const t = runners[c];
      if (share <= 0 || !(times[c] > 0) || t < 0 || t >= C) continue;
      const rate = share / times[c];
      speed[t] = speed[t] > 0 ? speed[t] + ALPHA * (rate - speed[t]) : rate;
    }
    this.cut(speed, cuts);
  }

  /** Cuts so that chunk t's share is thread t's part of the summed speeds, each at least LEAST of an even share. */
  private cut(speed: Float64Array, cuts: Int32Array): void {
    const C = this.T;
    let known = 0;
    let sum = 0;
    for (let t = 0; t < C; t++) if (speed[t] > 0) { known++; sum += speed[t]; }
    if (known === 0) return Balance.even(cuts, C);
    const mean = sum / known; // a thread not measured yet counts as the others' mean
    const total = sum + (C - known) * mean;
    const least = LEAST / C;
    const share = (t: number) => Math.max((speed[t] > 0 ? speed[t] : mean) / total, least);
    let scale = 0;
    for (let t = 0; t < C; t++) scale += share(t);
    let at = 0;
    cuts[0] = 0;
    for (let c = 1; c < C; c++) {
      at += share(c - 1) / scale;
      cuts[c] = Math.round(at * CUT_STEPS) * (CUT_ONE / CUT_STEPS);
    }
    cuts[C] = CUT_ONE;
  }
}

/** Where cut `cut` (0 … CUT_ONE) falls among n items, on a multiple of `quantum` (or at n). */
export function cutAt(n: number, cut: number, quantum: number): number {
  if (cut >= CUT_ONE) return n;
  return Math.min(n, Math.round((cut * n) / CUT_ONE / quantum) * quantum);
}
