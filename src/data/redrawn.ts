// data/redrawn.ts: training images as the page sees digits drawn on it
// (`--redrawn`). Each image is thinned to its skeleton, traced into strokes,
// redrawn as a hand on the pad would draw it (another size, place, lean, turn
// and pen width, a pointer's sampling, a tremor: draw/redraw.ts) and put
// through the page's own preprocessing (draw/preprocess.ts). A drawing on
// the page differs from MNIST's scans in just these ways, which the scans
// alone do not teach. Made once, in memory, as bytes; from training images
// only (the drawn test set, npm run drawn-set, comes from MNIST's test images).

import type { LabelledImages } from './dataset.js';
import { redrawImage, REDRAW_PAD } from '../draw/redraw.js';
import { strokesToInput } from '../draw/preprocess.js';
import type { Tracing } from '../draw/skeleton.js';
import { Rng } from '../rng.js';

/** The redrawn images' generator for a run's seed: its own stream, apart from the run's shuffles and initial weights. */
const STREAM = 0x5edd0a3;

/**
 * The set followed by a redrawn copy of each of its images (same labels):
 * twice as many. Seeded: the same seed gives the same images, and the first
 * N images' copies are the same whatever the set's size. An image with no
 * strokes to trace (blank) is copied as it is. `tracing`: how each image is
 * thinned and traced (draw/skeleton.ts's traceImage: enlarged, filled loops by their outline).
 */
export function withRedrawn(set: LabelledImages, seed: number, tracing: Tracing = {}): LabelledImages {
  const { rows, cols } = set;
  const pixels = rows * cols;
  if (pixels !== 784) throw new RangeError(`withRedrawn: the page's preprocessing makes 28×28 images; these are ${rows}×${cols}`);
  const images = new Uint8Array(2 * set.count * pixels);
  const labels = new Uint8Array(2 * set.count);
  images.set(set.images.subarray(0, set.count * pixels));
  labels.set(set.labels.subarray(0, set.count));
  labels.set(set.labels.subarray(0, set.count), set.count);
  const rng = new Rng((seed ^ STREAM) >>> 0);
  for (let i = 0; i < set.count; i++) {
    const original = set.images.subarray(i * pixels, (i + 1) * pixels);
    const x = strokesToInput(redrawImage(original, cols, rows, rng, REDRAW_PAD, tracing));
    const at = (set.count + i) * pixels;
    if (!x) images.set(original, at);
    else for (let k = 0; k < pixels; k++) images[at + k] = Math.round(255 * x[k]);
  }
  return { images, labels, count: 2 * set.count, rows, cols };
}
