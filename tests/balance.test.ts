// How a phase's chunks are claimed (tickets.ts) and where they cut it
// (balance.ts): each thread takes its own chunk first, a thread stuck in an
// old command takes nothing of the next, and the cuts follow the threads'
// measured speeds.

import { describe, expect, it } from 'vitest';
import { Balance, CUT_STEPS, cutAt, type PhaseTimes } from '../src/nn/parallel/balance.js';
import { CUT_ONE } from '../src/nn/parallel/control.js';
import { openPhases, runPhase } from '../src/nn/parallel/tickets.js';

const CLAIM = 16;
const DONE = 8;
const RAN = 0;
const none = () => null;

describe('claiming chunks', () => {
  it('thread t takes chunk t first, then the others in turn, and counts them done', () => {
    const control = new Int32Array(64);
    openPhases(control, 5, [[CLAIM, DONE, 3, true]]);
    const ran: number[] = [];
    runPhase(control, CLAIM, DONE, 5, 3, none, (c) => ran.push(c), RAN, 1);
    expect(ran).toEqual([1, 2, 0]);
    expect(control[DONE]).toBe(5 * 3);
    expect(control[RAN]).toBe(3);
  });

  it('takes no chunk another thread has claimed', () => {
    const control = new Int32Array(64);
    openPhases(control, 2, [[CLAIM, DONE, 2, true]]);
    // thread 1 has taken chunk 1 and finished it
    expect(Atomics.compareExchange(control, CLAIM + 1, 1, 2)).toBe(1);
    control[DONE]++;
    const ran: number[] = [];
    runPhase(control, CLAIM, DONE, 2, 2, none, (c) => ran.push(c), RAN, 0);
    expect(ran).toEqual([0]);
  });

  it('a thread still in command g takes nothing of command g + 1, whose chunks thread 0 has opened', () => {
    const control = new Int32Array(64);
    openPhases(control, 7, [[CLAIM, DONE, 2, true]]);
    // command 7 ran to its end on thread 0; thread 0 opens 8 and takes its chunk 0
    for (const c of [0, 1]) expect(Atomics.compareExchange(control, CLAIM + c, 6, 7)).toBe(6);
    control[DONE] += 2;
    openPhases(control, 8, [[CLAIM, DONE, 2, true]]);
    expect(Atomics.compareExchange(control, CLAIM, 7, 8)).toBe(7);
    // the late thread, which read command 7, claims: neither chunk of 8 is its to take
    const ran: number[] = [];
    control[DONE] = 8 * 2; // (so that its wait for command 7's phase returns at once)
    runPhase(control, CLAIM, DONE, 7, 2, none, (c) => ran.push(c), RAN, 1);
    expect(ran).toEqual([]);
    expect(control[CLAIM + 1]).toBe(7); // chunk 1 of command 8 still open
  });

  it('a closed phase has nothing to claim', () => {
    const control = new Int32Array(64);
    openPhases(control, 3, [[CLAIM, DONE, 2, false]]);
    const ran: number[] = [];
    runPhase(control, CLAIM, DONE, 3, 2, none, (c) => ran.push(c), RAN, 0);
    expect(ran).toEqual([]);
  });
});

/** A phase of T chunks, cut evenly, run by threads 0 … T − 1 in `ms` milliseconds each. */
function phase(T: number): PhaseTimes & { run: (ms: (share: number, t: number) => number) => void } {
  const cuts = new Int32Array(T + 1);
  Balance.even(cuts, T);
  const runners = Int32Array.from({ length: T }, (_, t) => t);
  const times = new Float64Array(T);
  return {
    cuts, runners, times,
    run(ms) {
      for (let c = 0; c < T; c++) times[c] = ms((cuts[c + 1] - cuts[c]) / CUT_ONE, runners[c]);
    },
  };
}

describe('balance', () => {
  it('starts even, on multiples of 1/CUT_STEPS', () => {
    const cuts = new Int32Array(4);
    Balance.even(cuts, 3);
    expect(Array.from(cuts)).toEqual([0, 21, 43, 64].map((k) => (k * CUT_ONE) / CUT_STEPS));
  });

  it('gives a thread half as fast a third of the work, so both finish together', () => {
    const b = new Balance(2, 1);
    const p = phase(2);
    for (let step = 0; step < 40; step++) {
      p.run((share, t) => share * (t === 1 ? 2 : 1)); // thread 1 takes twice as long for the same work
      b.record(0, p);
    }
    expect(p.cuts[1] / CUT_ONE).toBeCloseTo(2 / 3, 1);
    expect(Math.abs(p.cuts[1] / CUT_ONE - 2 / 3)).toBeLessThanOrEqual(1 / CUT_STEPS);
  });

  it('moves back to even when the slow thread recovers', () => {
    const b = new Balance(2, 1);
    const p = phase(2);
    for (let step = 0; step < 40; step++) {
      p.run((share, t) => share * (t === 1 ? 3 : 1));
      b.record(0, p);
    }
    expect(p.cuts[1]).toBeGreaterThan(0.7 * CUT_ONE);
    for (let step = 0; step < 40; step++) {
      p.run((share) => share);
      b.record(0, p);
    }
    expect(p.cuts[1]).toBe(CUT_ONE / 2);
  });

  it('keeps a very slow thread a least share, so its speed is still measured', () => {
    const b = new Balance(2, 1);
    const p = phase(2);
    for (let step = 0; step < 40; step++) {
      p.run((share, t) => share * (t === 1 ? 1000 : 1));
      b.record(0, p);
    }
    const least = CUT_ONE - p.cuts[1];
    expect(least).toBeGreaterThan(0.1 * CUT_ONE);
    expect(least).toBeLessThan(0.15 * CUT_ONE);
  });

  it('learns from whichever thread ran a chunk: thread 0 running both leaves the worker unmeasured, the cut even', () => {
    const b = new Balance(2, 1);
    const p = phase(2);
    p.runners[1] = 0;
    p.run((share) => share);
    b.record(0, p);
    expect(p.cuts[1]).toBe(CUT_ONE / 2);
  });

  it('keeps each phase apart', () => {
    const b = new Balance(2, 2);
    const [a, r] = [phase(2), phase(2)];
    for (let step = 0; step < 40; step++) {
      a.run((share, t) => share * (t === 1 ? 2 : 1));
      r.run((share) => share);
      b.record(0, a);
      b.record(1, r);
    }
    expect(a.cuts[1]).toBeGreaterThan(0.6 * CUT_ONE);
    expect(r.cuts[1]).toBe(CUT_ONE / 2);
  });
});

describe('cutAt', () => {
  it('places a cut on a multiple of the quantum, the ends at 0 and n', () => {
    expect(cutAt(100, 0, 4)).toBe(0);
    expect(cutAt(100, CUT_ONE, 4)).toBe(100);
    expect(cutAt(10, CUT_ONE, 4)).toBe(10);
    expect(cutAt(100, CUT_ONE / 2, 4)).toBe(52); // 50, between 48 and 52: rounds up
    expect(cutAt(10, CUT_ONE / 2, 2)).toBe(6);
    expect(cutAt(10, (CUT_ONE * 15) / 16, 4)).toBe(8);
  });

  it('never decreases as the cut moves right', () => {
    let last = 0;
    for (let cut = 0; cut <= CUT_ONE; cut += CUT_ONE / CUT_STEPS) {
      const at = cutAt(30, cut, 4);
      expect(at).toBeGreaterThanOrEqual(last);
      last = at;
    }
    expect(last).toBe(30);
  });
});
