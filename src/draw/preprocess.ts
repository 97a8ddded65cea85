// draw/preprocess.ts: pen strokes → the 28×28 input MNIST's digits were made
// into, so that a drawn digit looks to the network like the ones it learned:
//   crop to the ink's bounding box; scale it, keeping its aspect ratio, so
//   the longer side is 20 px; draw it with a pen as thick as MNIST's strokes,
//   anti-aliased by area averaging (4×4 samples per pixel, never nearest-
//   neighbour); and place it in a 28×28 field with its centre of mass in the
//   centre. White ink on black, values in [0, 1].
// Works on the strokes themselves (vectors), so a digit drawn small in a
// corner and the same digit drawn large in the middle give the same input.
// A pure function: no canvas, no DOM; the page and the tests share it.

export interface Point {
  x: number;
  y: number;
}

/** One stroke: the points the pen passed through, in drawing order. */
export type Stroke = readonly Point[];

export const SIDE = 28;
/** The longer side of the digit's box in the 28×28 field, as in MNIST. */
export const BOX = 20;
/** Pen width in output pixels: MNIST's strokes are about two and a half pixels wide. */
export const PEN = 2.4;
const SUB = 4; // samples per pixel along each axis

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function strokeBounds(strokes: readonly Stroke[]): Bounds | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const s of strokes) {
    for (const p of s) {
      if (p.x < minX) minX = p.x;
      if (p.y < minY) minY = p.y;
      if (p.x > maxX) maxX = p.x;
      if (p.y > maxY) maxY = p.y;
    }
  }
  return minX === Infinity ? null : { minX, minY, maxX, maxY };
}

/** Squared distance from (px, py) to the segment a–b. */
function dist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return ex * ex + ey * ey;
}

/**
 * Draws the strokes, mapped by (x, y) → (x·scale + dx, y·scale + dy) in output
 * pixels, into `out` (28×28): each pixel is the share of its 4×4 samples that
 * lie within PEN/2 of a stroke (a round pen: round caps and joins).
 */
function rasterize(out: Float32Array, strokes: readonly Stroke[], scale: number, dx: number, dy: number): void {
  out.fill(0);
  const r = PEN / 2;
  const r2 = r * r;
  const n = SIDE * SUB;
  const hits = new Uint8Array(n * n);
  for (const s of strokes) {
    for (let i = 0; i < s.length; i++) {
      const a = s[i];
      const b = s[i + 1 < s.length ? i + 1 : i]; // a lone point is a dot
      const ax = a.x * scale + dx;
      const ay = a.y * scale + dy;
      const bx = b.x * scale + dx;
      const by = b.y * scale + dy;
      // only the samples near the segment
      const x0 = Math.max(0, Math.floor((Math.min(ax, bx) - r) * SUB));
      const x1 = Math.min(n - 1, Math.ceil((Math.max(ax, bx) + r) * SUB));
      const y0 = Math.max(0, Math.floor((Math.min(ay, by) - r) * SUB));
      const y1 = Math.min(n - 1, Math.ceil((Math.max(ay, by) + r) * SUB));
      for (let sy = y0; sy <= y1; sy++) {
        const py = (sy + 0.5) / SUB;
        for (let sx = x0; sx <= x1; sx++) {
          if (hits[sy * n + sx]) continue;
          if (dist2((sx + 0.5) / SUB, py, ax, ay, bx, by) <= r2) hits[sy * n + sx] = 1;
        }
      }
    }
  }
  // area averaging: each output pixel is the mean of its SUB×SUB samples
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let sum = 0;
      for (let j = 0; j < SUB; j++) for (let i = 0; i < SUB; i++) sum += hits[(y * SUB + j) * n + x * SUB + i];
      out[y * SIDE + x] = sum / (SUB * SUB);
    }
  }
}

/** The centre of mass (x, y) of a 28×28 image, in pixel coordinates (pixel centres at +0.5). */
export function centreOfMass(img: Float32Array): Point | null {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const v = img[y * SIDE + x];
      m += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return m > 0 ? { x: mx / m, y: my / m } : null;
}

/**
 * The 28×28 network input (row by row, white ink = 1 on black = 0) for the
 * strokes, in any coordinates (y down); null when there is no ink.
 */
export function strokesToInput(strokes: readonly Stroke[]): Float32Array | null {
  const bounds = strokeBounds(strokes);
  if (!bounds) return null;
  const w = bounds.maxX - bounds.minX;
  const h = bounds.maxY - bounds.minY;
  const longer = Math.max(w, h);
  // the ink's box, pen included, gets a longer side of BOX pixels; a dot stays a dot
  const scale = longer > 0 ? (BOX - PEN) / longer : 1;
  const out = new Float32Array(SIDE * SIDE);
  // first drawn in the middle of the field, to find its centre of mass ...
  let dx = SIDE / 2 - (bounds.minX + w / 2) * scale;
  let dy = SIDE / 2 - (bounds.minY + h / 2) * scale;
  rasterize(out, strokes, scale, dx, dy);
  const com = centreOfMass(out);
  if (!com) return null;
  // ... then again, moved so the centre of mass is the field's centre
  dx += SIDE / 2 - com.x;
  dy += SIDE / 2 - com.y;
  rasterize(out, strokes, scale, dx, dy);
  return out;
}
