// nn/parallel/auto.ts: how many threads `--threads auto` takes. Both cores,
// except for a fully-connected network whose step is too small to share:
// there a step on two threads is slower than on one (each core reads the
// half of the weights the other just wrote, and the phases wait for each
// other), and the worker would only cost its start and the pace's probes.
// Measured with `npm run bench -- --peers` on four CPUs (docs/speed.md): at
// the book's mini-batch of 10, 784-30-10 (0.24 M multiply-adds a step) and
// 784-100-10 (0.80 M) ran slower on two threads in every run; at mini-batch
// 100 (2.4 M and 8.0 M) two threads were faster in all runs but one (1.05–1.56×;
// 0.96× once, at an hour when two threads lost on every row).

/** A fully-connected step of fewer multiply-adds (parameters × mini-batch) than this runs on one thread under auto. */
export const SMALL_STEP = 1_000_000;

/**
 * Threads for `--threads auto`: min(2, cores), or 1 for a fully-connected
 * network with `params` parameters at mini-batch m whose step is under SMALL_STEP.
 */
export function autoThreads(fullyConnected: boolean, params: number, m: number, cores: number): number {
  if (cores < 2) return 1;
  return fullyConnected && params * m < SMALL_STEP ? 1 : 2;
}
