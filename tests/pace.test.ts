// The pace of threaded steps: thread 0 keeps whichever way (alone or with
// the workers) its timed windows show faster, and probes the other less
// often each time it loses.

import { describe, expect, it } from 'vitest';
import { Pace } from '../src/nn/parallel/pace.js';

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
  it('starts together, probes alone after a warm-up window and one more, and stays together when that is faster', () => {
    const p = new Pace();
    const ways = drive(p, 2000, 2, 1); // 20 ms windows: 20 steps together
    expect(ways.slice(0, 40)).toBe('T'.repeat(40));
    expect(ways.slice(40, 42)).toBe('AT'); // alone is plainly slower: the probe stops after one step (2 ms)
    expect(ways.split('T').length - 1).toBeGreaterThan(0.9 * 2000);
  });

  it('goes alone when that is faster, and probes together ever less often', () => {
    const p = new Pace();
    const ways = drive(p, 20_000, 1, 2);
    expect(ways.slice(40, 80)).toBe('A'.repeat(40)); // after the first probe
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

  it('stops a probe early once it is plainly losing, and runs a close one to the end of its window', () => {
    const far = new Pace();
    const w1 = drive(far, 2000, 1, 5); // together 5× slower: its probes stop after 2 ms
    const probes = w1.slice(60).match(/T+/g)!; // after the first windows (together) and the probe (alone)
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect(p.length).toBe(1); // 5 ms ≥ 2 ms at once
    const close = new Pace();
    const w2 = drive(close, 2000, 1, 1.2); // 1.2× slower: a whole window of 20 ms
    for (const p of w2.slice(60).match(/T+/g)!) expect(p.length).toBe(Math.ceil(20 / 1.2));
  });

  it('leaves the way it keeps as soon as that is plainly slower than the other way was', () => {
    const p = new Pace();
    drive(p, 2000, 2, 1); // together kept: 2× the speed of alone
    const ways = drive(p, 100, 2, 10); // the worker's core is taken: together 5× slower than alone was
    // the window under way closes with the step that ends it (its fast steps with it), the
    // next after one step of 10 ms (≥ 2 ms, plainly slower): then alone
    const first = ways.indexOf('A');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(2);
    expect(ways.slice(first, first + 38)).toBe('A'.repeat(38));
    // a way only a little slower than the other was is kept to its next probe
    const q = new Pace();
    drive(q, 2000, 2, 1);
    expect(drive(q, 100, 2, 1.2).slice(0, 40)).toBe('T'.repeat(40));
  });
});
