// plot/digit-grid.ts: images in a grid with two digits beside each, as the
// book shows the test images its networks got wrong (chapter 6: the true digit
// at each image's top right, the network's answer at its bottom right). Black
// ink on white, one byte per pixel; node/png.ts writes it as a PNG
// (`npm run evaluate -- --errors FILE`). Pure: no DOM, no files.

/** One image of the grid: side×side values in [0, 1] (white ink = 1, as the network sees it; null: blank), and its two digits. */
export interface GridCell {
  pixels: ArrayLike<number> | null;
  truth: number;
  answer: number;
}

/** A grey image, row by row, 0 black to 255 white. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The digits 0–9 in 3×5 pixels, row by row, one bit a pixel (the first row the top three bits). */
const GLYPHS = [
  0b111_101_101_101_111, 0b010_110_010_010_111, 0b111_001_111_100_111, 0b111_001_111_001_111, 0b101_101_111_001_001,
  0b111_100_111_001_111, 0b111_100_111_101_111, 0b111_001_001_001_001, 0b111_101_111_101_111, 0b111_101_111_001_111,
];

/** Pixels a digit's glyph pixel takes on each side, the gap between cells and around the grid. */
const GLYPH_SCALE = 3;
const GAP = 8;

/** Whether pixel (x, y) of digit d's 3×5 glyph is ink. */
export function glyphPixel(d: number, x: number, y: number): boolean {
  return ((GLYPHS[d] >> (14 - (3 * y + x))) & 1) === 1;
}

/**
 * The cells in rows of `columns`, each image enlarged `scale` times, its true
 * digit beside its top right corner and the answer beside its bottom right.
 */
export function digitGrid(cells: readonly GridCell[], side = 28, columns = 12, scale = 2): GrayImage {
  if (!Number.isInteger(side) || side < 5 || !Number.isInteger(columns) || columns < 1 || !Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`digitGrid: side ${side} (at least 5), columns ${columns} and scale ${scale} must be positive integers`);
  }
  const image = side * scale;
  const cellW = image + 2 + 3 * GLYPH_SCALE;
  const cols = Math.max(1, Math.min(columns, cells.length));
  const rows = Math.ceil(cells.length / cols);
  const width = GAP + cols * (cellW + GAP);
  const height = GAP + rows * (image + GAP);
  const data = new Uint8Array(width * height).fill(255);
  cells.forEach((cell, k) => {
    if (!Number.isInteger(cell.truth) || !Number.isInteger(cell.answer) || cell.truth < 0 || cell.truth > 9 || cell.answer < 0 || cell.answer > 9) {
      throw new RangeError(`digitGrid: cell ${k} has digits ${cell.truth} and ${cell.answer}; each must be 0 to 9`);
    }
    if (cell.pixels && cell.pixels.length !== side * side) {
      throw new RangeError(`digitGrid: cell ${k} has ${cell.pixels.length} pixels; a ${side}×${side} image has ${side * side}`);
    }
    const x0 = GAP + (k % cols) * (cellW + GAP);
    const y0 = GAP + Math.floor(k / cols) * (image + GAP);
    const px = cell.pixels;
    if (px) {
      for (let y = 0; y < image; y++) {
        for (let x = 0; x < image; x++) {
          const v = Math.min(1, Math.max(0, px[Math.floor(y / scale) * side + Math.floor(x / scale)]));
          data[(y0 + y) * width + x0 + x] = 255 - Math.round(255 * v);
        }
      }
    }
    const glyph = (d: number, gx: number, gy: number) => {
      for (let y = 0; y < 5 * GLYPH_SCALE; y++) {
        for (let x = 0; x < 3 * GLYPH_SCALE; x++) {
          if (glyphPixel(d, Math.floor(x / GLYPH_SCALE), Math.floor(y / GLYPH_SCALE))) data[(gy + y) * width + gx + x] = 0;
        }
      }
    };
    glyph(cell.truth, x0 + image + 2, y0);
    glyph(cell.answer, x0 + image + 2, y0 + image - 5 * GLYPH_SCALE);
  });
  return { width, height, data };
}
