// nn/ensemble.ts: several trained networks voting, as the book's chapter 6
// ends (five networks, 99.67%). Each network votes for its most likely digit;
// the digit with the most votes wins, and a tie goes to the digit whose
// summed output is largest among the tied ones. Also one network's outputs
// for several views of each image, combined into one reading (test-time
// augmentation; the views are data/views.ts's).

/**
 * The ensemble's answer for each of `count` samples, given every network's
 * outputs (count × classes values each, sample by sample).
 */
export function vote(outputs: readonly Float32Array[], count: number, classes: number): Uint8Array {
  if (outputs.length === 0) throw new RangeError('vote: no networks');
  for (const o of outputs) {
    if (o.length !== count * classes) throw new RangeError(`vote: each network needs ${count}×${classes} outputs; got ${o.length}`);
  }
  const answers = new Uint8Array(count);
  const votes = new Int32Array(classes);
  const sums = new Float64Array(classes);
  for (let s = 0; s < count; s++) {
    votes.fill(0);
    sums.fill(0);
    const at = s * classes;
    for (const o of outputs) {
      let best = 0;
      for (let c = 0; c < classes; c++) {
        sums[c] += o[at + c];
        if (o[at + c] > o[at + best]) best = c;
      }
      votes[best]++;
    }
    let win = 0;
    for (let c = 1; c < classes; c++) {
      if (votes[c] > votes[win] || (votes[c] === votes[win] && sums[c] > sums[win])) win = c;
    }
    answers[s] = win;
  }
  return answers;
}

/** Probabilities below this count as it in combineViews, so that a zero output is a large penalty, not −∞. */
const FLOOR = 1e-30;

/**
 * One network's reading of several views of each sample (data/views.ts):
 * for each sample and class, the sum over the views of ln(output), so that
 * the largest is the class whose probabilities multiplied over the views are
 * the largest. `outputs`: one array per view, count × classes values each.
 */
export function combineViews(outputs: readonly Float32Array[], count: number, classes: number): Float32Array {
  if (outputs.length === 0) throw new RangeError('combineViews: no views');
  for (const o of outputs) {
    if (o.length !== count * classes) throw new RangeError(`combineViews: each view needs ${count}×${classes} outputs; got ${o.length}`);
  }
  const scores = new Float32Array(count * classes);
  for (let i = 0; i < count * classes; i++) {
    let s = 0;
    for (const o of outputs) s += Math.log(Math.max(o[i], FLOOR));
    scores[i] = s;
  }
  return scores;
}
