// nn/schedules.ts: learning rates that change with every mini-batch. Step s of
// a run of S steps (s = 0 … S − 1, counted over all epochs, so a resumed run
// continues the curve exactly):
//   constant   η
//   cosine     η·½(1 + cos(π·s/S)): from η down to 0 (Loshchilov & Hutter's SGDR, one cycle)
//   one-cycle  Smith's one-cycle policy as PyTorch's OneCycleLR does it by
//              default: up from η/25 to η over the first 30% of the steps,
//              then down to η/(25·10⁴), both halves cosine-shaped
// (The book's own schedule, halving η after epochs without progress, is
// EtaSchedule in nn/sgd.ts.)

export type LrSchedule = 'constant' | 'cosine' | 'one-cycle';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine', 'one-cycle'];

/** From `from` (p = 0) to `to` (p = 1) along half a cosine. */
function cosineFrom(from: number, to: number, p: number): number {
  return to + ((from - to) / 2) * (1 + Math.cos(Math.PI * p));
}

/** The learning rate of step s (from 0) of `total`, for peak rate eta. */
export function etaAt(schedule: LrSchedule, eta: number, s: number, total: number): number {
  if (schedule === 'constant' || total <= 1) return eta;
  if (schedule === 'cosine') return cosineFrom(eta, 0, s / total);
  const up = 0.3 * total - 1; // PyTorch: pct_start · total_steps − 1
  if (s <= up) return cosineFrom(eta / 25, eta, up > 0 ? s / up : 1);
  return cosineFrom(eta, eta / 25 / 1e4, (s - up) / (total - 1 - up));
}
