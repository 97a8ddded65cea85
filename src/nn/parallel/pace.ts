// nn/parallel/pace.ts: whether the next step runs on every thread or on
// thread 0 alone, decided from the steps' own timing as the run goes.
// Two threads lose to one where a step is too small to share (the cores pass
// the weights back and forth) and where another process has the worker's
// core (thread 0 waits for a chunk the worker was descheduled in). Thread 0
// times its steps in windows of about 20 ms (the first 4, a warm-up on every
// thread, are not counted), runs two windows the other way now and then (a
// probe), and keeps whichever went faster; a probe that loses waits twice as
// long before the next (up to 256 windows), and one that is plainly losing
// (half again as slow as the other way, after 5 ms) stops early, so the slower
// way costs little. The way kept is held to the same test: when two windows
// of it in a row are plainly slower than the other way (another process takes
// the worker's core, or a probe won by chance), thread 0 changes then rather
// than at the next probe. Each way is judged by the mean of its last three
// windows, not by one: on a shared machine one window of 20 ms runs up to half
// again as fast as the next, the same way. Which threads run a step never
// changes a weight (split.ts), so this only moves the speed.

/** Steps timed before a window closes, at least; and its time, at least (ms). */
const WINDOW_STEPS = 4;
const WINDOW_MS = 20;
/**
 * Windows run together before any is timed: a worker's code is compiled by
 * the engine only after it has run a while, and until then its steps are
 * slow (the first windows of a 784-30-10 run at mini-batch 100 measured 90,
 * 183 and 233 samples/ms together, where two threads settle at 375).
 */
const WARM_WINDOWS = 4;
/** Windows between probes of the other way: from FIRST_INTERVAL, doubling after each losing probe, up to MAX_INTERVAL. */
const FIRST_INTERVAL = 8;
const MAX_INTERVAL = 256;
/** Windows a probe runs (unless it gives up), and the windows of each way its rate is the mean of. */
const PROBE_WINDOWS = 2;
const RECENT = 3;
/** Windows of the way kept, one after the other, each plainly slower than the other way, that make thread 0 change. */
const STRIKES = 2;
/**
 * A probe stops once it has run this long (ms) and taken this many times as
 * long as the other way would have; a window of the way kept that has is a
 * strike against it. (After 2 ms, a single slow step, such as a worker
 * descheduled for a moment, made a faster way look plainly slower.)
 */
const GIVE_UP_MS = 5;
const GIVE_UP_RATIO = 1.5;

export class Pace {
  /** Whether steps run on every thread (true) or on thread 0 alone. */
  together = true;
  /** Samples per ms of the last RECENT windows of each way, newest last, and their mean (0: none yet): [alone, together]. */
  private readonly recent: [number[], number[]] = [[], []];
  private readonly mean = [0, 0];
  private ms = 0;
  private samples = 0;
  private steps = 0;
  /** Windows left in the probe under way (0: none). */
  private probing = 0;
  /** Samples and ms of the probe so far. */
  private probeSamples = 0;
  private probeMs = 0;
  /** The way that won the last comparison. */
  private best = true;
  private interval = FIRST_INTERVAL;
  /** Windows until the next probe: the first comes after one window, to compare early. */
  private until = 1;
  /** Windows of the way kept in a row that were plainly slower than the other way. */
  private strikes = 0;
  /** The first windows warm up (every thread's code compiled, workers woken) and decide nothing. */
  private warm = WARM_WINDOWS;

  /** After a step of m samples that took `ms` milliseconds the current way. */
  record(m: number, ms: number): void {
    this.ms += ms;
    this.samples += m;
    const other = this.mean[+!this.together]; // samples/ms of the other way, its recent windows' mean
    const losing = other > 0 && this.ms * other > GIVE_UP_RATIO * this.samples; // plainly slower so far
    const giveUp = this.probing > 0 && losing && this.ms + this.probeMs >= GIVE_UP_MS;
    if ((++this.steps < WINDOW_STEPS || this.ms < WINDOW_MS) && !giveUp) return;
    const rate = this.samples / this.ms;
    const samples = this.samples;
    const took = this.ms;
    this.ms = this.samples = this.steps = 0;
    if (this.warm > 0) {
      this.warm--;
      return;
    }
    if (this.probing > 0) {
      this.probeSamples += samples;
      this.probeMs += took;
      if (--this.probing > 0 && !giveUp) return;
      const probe = this.probeSamples / this.probeMs;
      this.probeSamples = this.probeMs = this.probing = 0;
      this.remember(this.together, probe);
      const won = probe > this.mean[+this.best];
      if (won) this.best = this.together;
      this.interval = won ? FIRST_INTERVAL : Math.min(2 * this.interval, MAX_INTERVAL);
      this.until = this.interval;
      this.together = this.best;
      this.strikes = 0;
      return;
    }
    this.remember(this.together, rate);
    this.strikes = losing ? this.strikes + 1 : 0;
    if (this.strikes >= STRIKES) {
      this.best = this.together = !this.together;
      this.interval = FIRST_INTERVAL;
      this.until = this.interval;
      this.strikes = 0;
    } else if (--this.until <= 0) {
      this.probing = PROBE_WINDOWS;
      this.together = !this.best;
    }
  }

  /** A window's rate (or a probe's, as one) joins its way's recent ones. */
  private remember(together: boolean, rate: number): void {
    const r = this.recent[+together];
    r.push(rate);
    if (r.length > RECENT) r.shift();
    let sum = 0;
    for (const v of r) sum += v;
    this.mean[+together] = sum / r.length;
  }
}
