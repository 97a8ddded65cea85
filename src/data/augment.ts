// data/augment.ts: training images distorted on the fly, each sample of each
// epoch differently, so that a network learns the digits rather than the
// pixels (Simard, Steinkraus and Platt 2003, "Best practices for
// convolutional neural networks applied to visual document analysis"):
//   an affine map: a turn, a change of size, a shear and a shift;
//   an elastic one: a smooth random displacement field (uniform values on a
//   grid every `grid` pixels, bilinearly interpolated, scaled to a standard
//   deviation of `elastic` pixels; Simard smooths per-pixel noise with a
//   Gaussian instead, the same kind of field at many times the cost);
//   a pen of another width now and then: the strokes grown or thinned by half
//   a pixel (each pixel halfway to the largest of its 3×3 neighbourhood, or to
//   the smallest of itself and its four neighbours).
// Each output pixel is read from the source image at the inverse map, by
// bilinear interpolation (zero outside). Sample k of epoch e draws from its
// own generator, seeded by (seed, e, k): the same images on any thread, in
// any chunk, on a resumed run. With every setting at zero the output is the
// plain gather's, bit for bit.

import { Rng } from '../rng.js';
import type { LabelledImages } from './dataset.js';

export interface AugmentSettings {
  /** Largest turn, degrees either way. */
  rotate: number;
  /** Largest change of size: the scale is 1 ± scale. */
  scale: number;
  /** Largest horizontal shear (x += shear·y) either way. */
  shear: number;
  /** Largest shift, pixels, along each axis. */
  shift: number;
  /** Standard deviation of the elastic displacement, pixels (0: none). */
  elastic: number;
  /** The elastic field's grid spacing, pixels: its smoothness. */
  grid: number;
  /** The share of samples drawn with a pen half a pixel wider or narrower. */
  width: number;
}

/** What `--augment` uses: Simard's distortions at about their strength for MNIST. */
export const AUGMENT_DEFAULTS: AugmentSettings = { rotate: 12, scale: 0.12, shear: 0.15, shift: 2, elastic: 0.8, grid: 7, width: 0.2 };

/** Whether two settings are the same, field by field. */
export function sameAugment(a: AugmentSettings, b: AugmentSettings): boolean {
  return (Object.keys(AUGMENT_DEFAULTS) as (keyof AugmentSettings)[]).every((k) => a[k] === b[k]);
}

/** The standard deviation of a bilinear interpolation of independent uniform(−1, 1) values, averaged over the cell: √(1/3)·(2/3). */
const FIELD_STD = Math.sqrt(1 / 3) * (2 / 3);

/** A 32-bit seed from three integers (a splitmix-style mix; any integers, any sign). */
function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be59b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 13;
  h = Math.imul(h, 0x297a2d39);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Augmenter {
  private readonly source: Float32Array;
  private readonly morph: Float32Array;
  private readonly dx: Float32Array;
  private readonly dy: Float32Array;
  private nodes = new Float32Array(0);

  constructor(readonly settings: AugmentSettings, readonly seed: number, readonly rows = 28, readonly cols = 28) {
    for (const [k, v] of Object.entries(settings)) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`augment: ${k} must be a number ≥ 0; got ${v}`);
    }
    if (settings.scale >= 1) throw new RangeError(`augment: scale must be below 1 (the size is 1 ± scale); got ${settings.scale}`);
    if (settings.width > 1) throw new RangeError(`augment: width is a share of the samples, at most 1; got ${settings.width}`);
    if (settings.elastic > 0 && !(settings.grid >= 1)) throw new RangeError(`augment: grid must be at least 1 pixel; got ${settings.grid}`);
    const n = rows * cols;
    this.source = new Float32Array(n);
    this.morph = new Float32Array(n);
    this.dx = new Float32Array(n);
    this.dy = new Float32Array(n);
  }

  /**
   * Columns 0 … m − 1 of x (rows·cols values each) become the distorted
   * images of samples order[start + j] (start + j without an order), sample j
   * drawn by its own generator for (seed, epoch, start + j). Labels are not
   * touched: gatherBatch made them.
   */
  apply(x: Float32Array, set: LabelledImages, order: Uint32Array | null, start: number, m: number, epoch: number): void {
    const n = this.rows * this.cols;
    for (let j = 0; j < m; j++) {
      const sample = order ? order[start + j] : start + j;
      this.warp(x.subarray(j * n, (j + 1) * n), set.images.subarray(sample * n, (sample + 1) * n), new Rng(mix(this.seed, epoch, start + j)));
    }
  }

  /** out = the image `bytes` distorted with draws from rng, values in [0, 1]. */
  warp(out: Float32Array, bytes: Uint8Array, rng: Rng): void {
    const { rows: h, cols: w, settings: s } = this;
    const n = w * h;
    // the pen: now and then one pixel wider or narrower
    let src: Float32Array = this.source;
    for (let i = 0; i < n; i++) src[i] = bytes[i];
    if (s.width > 0 && rng.uniform() < s.width) src = rng.uniform() < 0.5 ? this.grow(src) : this.thin(src);
    // the affine map, output → source: about the centre, inverted
    const turn = ((2 * rng.uniform() - 1) * s.rotate * Math.PI) / 180;
    const size = 1 + (2 * rng.uniform() - 1) * s.scale;
    const shear = (2 * rng.uniform() - 1) * s.shear;
    const tx = (2 * rng.uniform() - 1) * s.shift;
    const ty = (2 * rng.uniform() - 1) * s.shift;
    // forward: p' = size · R(turn) · [[1, shear], [0, 1]] · p; its inverse, entry by entry
    const cos = Math.cos(turn);
    const sin = Math.sin(turn);
    const a = size * cos;
    const b = size * (cos * shear - sin);
    const c = size * sin;
    const d = size * (sin * shear + cos);
    const det = a * d - b * c;
    const [ia, ib, ic, id] = [d / det, -b / det, -c / det, a / det];
    const cx = (w - 1) / 2;
    const cy = (h - 1) / 2;
    const elastic = s.elastic > 0;
    if (elastic) this.field(rng);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const u = x - cx - tx + (elastic ? this.dx[i] : 0);
        const v = y - cy - ty + (elastic ? this.dy[i] : 0);
        out[i] = bilinear(src, w, h, ia * u + ib * v + cx, ic * u + id * v + cy) / 255;
      }
    }
  }

  /** dx, dy: a smooth random field, uniform values on a grid every `grid` pixels interpolated, standard deviation `elastic` pixels. */
  private field(rng: Rng): void {
    const { rows: h, cols: w, settings: s } = this;
    const gw = Math.ceil((w - 1) / s.grid) + 1;
    const gh = Math.ceil((h - 1) / s.grid) + 1;
    if (this.nodes.length !== 2 * gw * gh) this.nodes = new Float32Array(2 * gw * gh);
    const g = this.nodes;
    for (let k = 0; k < g.length; k++) g[k] = 2 * rng.uniform() - 1;
    const scale = s.elastic / FIELD_STD;
    const plane = gw * gh;
    for (let y = 0; y < h; y++) {
      const y0 = Math.floor(y / s.grid);
      const fy = y / s.grid - y0;
      const y1 = Math.min(y0 + 1, gh - 1);
      for (let x = 0; x < w; x++) {
        const x0 = Math.floor(x / s.grid);
        const fx = x / s.grid - x0;
        const x1 = Math.min(x0 + 1, gw - 1);
        const [k00, k01, k10, k11] = [y0 * gw + x0, y0 * gw + x1, y1 * gw + x0, y1 * gw + x1];
        const w00 = (1 - fx) * (1 - fy);
        const w01 = fx * (1 - fy);
        const w10 = (1 - fx) * fy;
        const w11 = fx * fy;
        const i = y * w + x;
        this.dx[i] = scale * (w00 * g[k00] + w01 * g[k01] + w10 * g[k10] + w11 * g[k11]);
        this.dy[i] = scale * (w00 * g[plane + k00] + w01 * g[plane + k01] + w10 * g[plane + k10] + w11 * g[plane + k11]);
      }
    }
  }

  /** The strokes half a pixel wider: each pixel halfway to the largest of its 3×3 neighbourhood. */
  private grow(src: Float32Array): Float32Array {
    const { rows: h, cols: w } = this;
    const out = this.morph;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) v = Math.max(v, at(src, w, h, x + dx, y + dy));
        out[y * w + x] = (v + src[y * w + x]) / 2;
      }
    }
    return out;
  }

  /** The strokes half a pixel narrower: each pixel halfway to the smallest of itself and its four neighbours. */
  private thin(src: Float32Array): Float32Array {
    const { rows: h, cols: w } = this;
    const out = this.morph;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = Math.min(at(src, w, h, x, y), at(src, w, h, x - 1, y), at(src, w, h, x + 1, y), at(src, w, h, x, y - 1), at(src, w, h, x, y + 1));
        out[y * w + x] = (v + src[y * w + x]) / 2;
      }
    }
    return out;
  }
}

/** img[y][x], 0 outside. */
function at(img: ArrayLike<number>, w: number, h: number, x: number, y: number): number {
  return x < 0 || y < 0 || x >= w || y >= h ? 0 : img[y * w + x];
}

/** img at (x, y) between pixels, bilinearly; 0 outside. At whole (x, y) exactly the pixel. */
function bilinear(img: ArrayLike<number>, w: number, h: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const top = fx === 0 ? at(img, w, h, x0, y0) : (1 - fx) * at(img, w, h, x0, y0) + fx * at(img, w, h, x0 + 1, y0);
  if (fy === 0) return top;
  const bottom = fx === 0 ? at(img, w, h, x0, y0 + 1) : (1 - fx) * at(img, w, h, x0, y0 + 1) + fx * at(img, w, h, x0 + 1, y0 + 1);
  return (1 - fy) * top + fy * bottom;
}
