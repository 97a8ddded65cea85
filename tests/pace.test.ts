// The pace of threaded steps: thread 0 keeps whichever way (alone or with
// the workers) its timed windows show faster, and probes the other less
// often each time it loses.

import { describe, expect, it } from 'vitest';
import { Pace } from '../src/nn/parallel/pace.js';
import { Rng } from '../src/rng.js';

/** Runs `steps` steps of 10 samples, each taking `alone` or `together` ms by the way the pace chose; the ways taken, one letter a step. */
function drive(p: Pace, steps: number, alone: number, together: number): string {
  let ways = '';
  for (let i = 0; i < steps; i++) {
    ways += p.together ? 'T' : 'A';
    p.record(10, p.together ? together : alone);
  }
  return ways;
}

describe('Pace', () => {
  it('starts together, probes alone after 4 warm-up windows and one more, and stays together when that is faster', () => {
    const p = new Pace();
    const ways = drive(p, 2000, 2, 1); // 20 ms windows: 20 steps together
    expect(ways.slice(0, 100)).toBe('T'.repeat(100));
    expect(ways.slice(100, 104)).toBe('AAAT'); // alone is plainly slower: the probe stops once 5 ms have passed (3 steps)
    expect(ways.split('T').length - 1).toBeGreaterThan(0.9 * 2000);
  });

  it('goes alone when that is faster, and probes together ever less often', () => {
    const p = new Pace();
    const ways = drive(p, 20_000, 1, 2);
    expect(ways.slice(70, 110)).toBe('A'.repeat(40)); // after the first probe
    const probes = ways.match(/A+T+/g)!.length; // each run of T after A is a probe of together
    // 8, 16, 32, … windows between probes: after 20,000 steps of 20 a window, about 1000 windows, 6 probes
    expect(probes).toBeGreaterThanOrEqual(5);
    expect(probes).toBeLessThanOrEqual(7);
    expect(ways.split('A').length - 1).toBeGreaterThan(0.95 * 20_000);
  });

  it('follows a change: together while it wins, alone once it loses (another process takes a core)', () => {
    const p = new Pace();
    drive(p, 2000, 2, 1);
    expect(p.together).toBe(true);
    const ways = drive(p, 4000, 2, 10); // together is now 5× slower
    expect(ways.slice(-1000)).not.toContain('TTTTTTTTTTTT'); // at most a short probe now and then
    expect(p.together).toBe(false);
  });

  it('stops a probe early once it is plainly losing, and runs a close one to the end of its two windows', () => {
    const far = new Pace();
    const w1 = drive(far, 4000, 1, 5); // together 5× slower: its probes stop after 5 ms
    const probes = w1.slice(220).match(/T+/g)!; // after the first windows (together) and the probe (alone)
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect(p.length).toBe(1); // 5 ms ≥ 5 ms at once
    const close = new Pace();
    const w2 = drive(close, 4000, 1, 1.2); // 1.2× slower: a whole window of 20 ms
    const closeProbes = w2.slice(220).match(/T+/g)!;
    expect(closeProbes.length).toBeGreaterThan(0);
    for (const p of closeProbes) expect(p.length).toBe(2 * Math.ceil(20 / 1.2));
  });

  it('leaves the way it keeps once two windows of it in a row are plainly slower than the other way, not on one slow window', () => {
    const p = new Pace();
    drive(p, 2000, 2, 1); // together kept: 2× the speed of alone
    const ways = drive(p, 100, 2, 10); // the worker's core is taken: together 5× slower than alone
    // the window under way closes with the step that ends it (its fast steps with it: no strike),
    // the next two after 4 steps of 10 ms each (whole windows, plainly slower): then alone
    const first = ways.indexOf('A');
    expect(first).toBeGreaterThan(6);
    expect(first).toBeLessThanOrEqual(10);
    expect(ways.slice(first, first + 38)).toBe('A'.repeat(38));
    // one slow window among fast ones (a worker descheduled for 20 ms) changes nothing
    const r = new Pace();
    drive(r, 2000, 2, 1);
    expect(drive(r, 4, 2, 10) + drive(r, 40, 2, 1)).toBe('T'.repeat(44));
    // a way only a little slower than the other is kept to its next probe
    const q = new Pace();
    drive(q, 2000, 2, 1);
    expect(drive(q, 100, 2, 1.2).slice(0, 40)).toBe('T'.repeat(40));
  });

  it('keeps the faster way on a noisy machine, where one window runs up to twice as fast as the next', () => {
    // together 1.35× as fast as alone; every 20 ms the machine's speed changes, by up to ±30%, for both ways
    // alike, and one window in ten runs at half that (another process took the core for a while)
    const p = new Pace();
    const rng = new Rng(7);
    let ways = '';
    for (let w = 0; w < 600; w++) {
      const speed = (0.7 + 0.6 * rng.uniform()) * (rng.uniform() < 0.1 ? 0.5 : 1);
      for (let i = 0; i < 20; i++) {
        ways += p.together ? 'T' : 'A';
        p.record(10, (p.together ? 1 / 1.35 : 1) / speed);
      }
    }
    expect(ways.split('T').length - 1).toBeGreaterThan(0.9 * ways.length);
  });
});
