// data/expand.ts: the book's expanded training set (chapter 3,
// expand_mnist.py): each image as it is and shifted by one pixel up, down,
// left and right (the row or column shifted in is blank): five images for
// one, 250,000 from MNIST's 50,000. Made in memory, as bytes.

import type { LabelledImages } from './dataset.js';

/** The set with each image followed by its four one-pixel shifts. */
export function expandByShifts(set: LabelledImages): LabelledImages {
  const { rows, cols } = set;
  const pixels = rows * cols;
  const count = set.count * 5;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  // (dy, dx): the original, then up, down, left, right
  const shifts: [number, number][] = [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]];
  for (let s = 0; s < set.count; s++) {
    const src = s * pixels;
    for (let k = 0; k < 5; k++) {
      const [dy, dx] = shifts[k];
      const dst = (s * 5 + k) * pixels;
      for (let y = 0; y < rows; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= rows) continue;
        for (let x = 0; x < cols; x++) {
          const sx = x - dx;
          if (sx >= 0 && sx < cols) images[dst + y * cols + x] = set.images[src + sy * cols + sx];
        }
      }
      labels[s * 5 + k] = set.labels[s];
    }
  }
  return { images, labels, count, rows, cols };
}
