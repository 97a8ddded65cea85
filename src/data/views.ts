// data/views.ts: test-time augmentation's views of an image: the image as it
// is, and copies of it shifted by a pixel each way and turned a few degrees
// either way. A network reads every view, and its answer is the class whose
// probabilities, multiplied over the views, are the largest (nn/ensemble.ts's
// combineViews): a digit the network is unsure of as written is often plain
// in a copy a pixel over or a little upright. One network still, read several
// times: `npm run evaluate -- --tta`.
// Each view is an exact map (integer shifts) or a bilinear read of the
// image at the turned coordinates (zero outside), as data/augment.ts reads.

import type { LabelledImages } from './dataset.js';

export interface View {
  /** Shift of the ink, pixels: right (dx > 0) and down (dy > 0). */
  readonly dx: number;
  readonly dy: number;
  /** Turn about the image's centre, degrees, clockwise on screen (y down). */
  readonly turn: number;
}

/**
 * The views `--tta` reads: the image, and the image turned 9° either way.
 * Chosen on the validation images, with three networks trained without them,
 * from shifts of one and two pixels, turns of 3°, 6° and 9°, and shifts and
 * turns together: every choice read 0.05–0.09 points more than the image
 * alone on average, within 0.04 of each other (docs/results.md, "Test-time
 * augmentation").
 */
export const TTA_VIEWS: readonly View[] = [
  { dx: 0, dy: 0, turn: 0 },
  { dx: 0, dy: 0, turn: 9 },
  { dx: 0, dy: 0, turn: -9 },
];

/** TTA_VIEWS in words, for what the commands print. */
export const TTA_WORDS = 'each image read as it is and turned 9° either way';

/**
 * out = the rows×cols image `src` (row by row) seen in `view`: each output
 * pixel read from src where the view's inverse map puts it, bilinearly, zero
 * outside. Into a Uint8Array the values are rounded to whole bytes.
 */
export function viewImage(out: Float32Array | Uint8Array, src: ArrayLike<number>, rows: number, cols: number, view: View): void {
  const t = (view.turn * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const round = out instanceof Uint8Array;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= cols || y >= rows ? 0 : src[y * cols + x]);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      // output → source: undo the shift, then the turn
      const u = x - view.dx - cx;
      const v = y - view.dy - cy;
      const sx = cx + cos * u + sin * v;
      const sy = cy - sin * u + cos * v;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const value =
        (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      out[y * cols + x] = round ? Math.round(value) : value;
    }
  }
}

/** Every image of `set` seen in `view` (bytes, rounded), with the same labels. */
export function viewSet(set: LabelledImages, view: View): LabelledImages {
  const n = set.rows * set.cols;
  const images = new Uint8Array(set.count * n);
  for (let i = 0; i < set.count; i++) {
    viewImage(images.subarray(i * n, (i + 1) * n), set.images.subarray(i * n, (i + 1) * n), set.rows, set.cols, view);
  }
  return { images, labels: set.labels, count: set.count, rows: set.rows, cols: set.cols };
}
