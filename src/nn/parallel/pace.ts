// nn/parallel/pace.ts: whether the next step runs on every thread or on
// thread 0 alone, decided from the steps' own timing as the run goes.
// Two threads lose to one where a step is too small to share (the cores pass
// the weights back and forth) and where another process has the worker's
// core (thread 0 waits for a chunk the worker was descheduled in). Thread 0
// times its steps in windows of about 20 ms (the first 4, a warm-up on every
// thread, are not counted), runs one window the other way now and then, and
// keeps whichever went faster; a probe that loses waits twice as long before
// the next (up to 256 windows), and one that is plainly losing (half again as
// slow as the other way, after 5 ms) stops early, so the slower way costs
// little. The way kept is held to the same test over a whole window: when a
// window of it is plainly slower than the other way's last (another process
// takes the worker's core, or a probe won by chance), thread 0 changes then
// rather than at the next probe. Which threads run a step never changes a
// weight (split.ts), so this only moves the speed.

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
/**
 * A probe stops once it has run this long (ms) and taken this many times as
 * long as the other way would have; the way kept changes when a whole window
 * of it has. (After 2 ms, a single slow step, such as a worker descheduled for
 * a moment, made a faster way look plainly slower and switched to the other.)
 */
const GIVE_UP_MS = 5;
const GIVE_UP_RATIO = 1.5;

export class Pace {
  /** Whether steps run on every thread (true) or on thread 0 alone. */
  together = true;
  /** Samples per ms of the last window of each way: [alone, together]. */
  private readonly rate = [0, 0];
  private ms = 0;
  private samples = 0;
  private steps = 0;
  private probing = false;
  /** The way that won the last comparison. */
  private best = true;
  private interval = FIRST_INTERVAL;
  /** Windows until the next probe: the first comes after one window, to compare early. */
  private until = 1;
  /** The first windows warm up (every thread's code compiled, workers woken) and decide nothing. */
  private warm = WARM_WINDOWS;
  /** After a step of m samples that took `ms` milliseconds the current way. */
  record(m: number, ms: number): void {
    this.ms += ms;
    this.samples += m;
    const other = this.rate[+!this.together]; // samples/ms of the other way's last window (0: none yet)
    const losing = other > 0 && this.ms * other > GIVE_UP_RATIO * this.samples; // plainly slower so far
    const giveUp = this.probing && losing && this.ms >= GIVE_UP_MS;
    if ((++this.steps < WINDOW_STEPS || this.ms < WINDOW_MS) && !giveUp) return;
    const rate = this.samples / this.ms;
    this.ms = this.samples = this.steps = 0;
    if (this.warm > 0) {
      this.warm--;
      return;
    }
    this.rate[+this.together] = rate;
    if (this.probing) {
      this.probing = false;
      const won = this.rate[+this.together] > this.rate[+this.best];
      if (won) this.best = this.together;
      this.interval = won ? FIRST_INTERVAL : Math.min(2 * this.interval, MAX_INTERVAL);
      this.until = this.interval;
      this.together = this.best;
    } else if (losing) {
      this.best = this.together = !this.together;
      this.interval = FIRST_INTERVAL;
      this.until = this.interval;
    } else if (--this.until <= 0) {
      this.probing = true;
      this.together = !this.best;
    }
  }
}
