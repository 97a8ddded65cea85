// draw/skeleton.ts: an MNIST image back into pen strokes, for a test set of
// "drawn" digits that the project's own stroke templates (handwriting.ts)
// did not make. The ink is thinned to a one-pixel skeleton (Zhang and Suen
// 1984, "A fast parallel algorithm for thinning digital patterns"), and the
// skeleton is walked into polylines: from every end or fork to the next, then
// around what is left (closed loops, as in a 0). The strokes keep the writer's
// shape, slant and proportions; the pen's width and the order of the strokes
// are lost, which the page's preprocessing does not look at anyway.
// Pure functions, no DOM: the tests, the scripts and the page can share them.

import type { Point, Stroke } from './preprocess.js';

/**
 * The skeleton of the pixels above `threshold` (0–255) of a w×h image of
 * bytes, row by row: 1 where a skeleton pixel is. Zhang–Suen thinning, two
 * sub-iterations a pass, until a pass removes nothing.
 */
export function thin(image: ArrayLike<number>, w: number, h: number, threshold = 128): Uint8Array {
  const on = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) on[i] = image[i] >= threshold ? 1 : 0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : on[y * w + x]);
  const remove: number[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const step of [0, 1]) {
      remove.length = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (!on[y * w + x]) continue;
          // P2 … P9: north, then clockwise
          const p = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)];
          let b = 0;
          let a = 0;
          for (let k = 0; k < 8; k++) {
            b += p[k];
            if (p[k] === 0 && p[(k + 1) % 8] === 1) a++;
          }
          if (b < 2 || b > 6 || a !== 1) continue;
          const [n, , e, , s, , west] = p;
          if (step === 0 ? n * e * s === 0 && e * s * west === 0 : n * e * west === 0 && n * s * west === 0) remove.push(y * w + x);
        }
      }
      for (const i of remove) on[i] = 0;
      if (remove.length) changed = true;
    }
  }
  return on;
}

/**
 * The neighbours of skeleton pixel i: the four beside it, and a diagonal one
 * only where no pixel beside both makes the link already (so a staircase is
 * a path, not a chain of triangles).
 */
function neighbours(on: Uint8Array, w: number, h: number, i: number): number[] {
  const x = i % w;
  const y = (i - x) / w;
  const has = (dx: number, dy: number) => {
    const u = x + dx;
    const v = y + dy;
    return u >= 0 && v >= 0 && u < w && v < h && on[v * w + u] === 1;
  };
  const out: number[] = [];
  for (const [dx, dy] of [[0, -1], [1, 0], [0, 1], [-1, 0]]) if (has(dx, dy)) out.push((y + dy) * w + x + dx);
  for (const [dx, dy] of [[1, -1], [1, 1], [-1, 1], [-1, -1]]) if (has(dx, dy) && !has(dx, 0) && !has(0, dy)) out.push((y + dy) * w + x + dx);
  return out;
}

/**
 * The skeleton as strokes, in pixel coordinates (a pixel's centre is at
 * x + 0.5, y + 0.5; y down): each path between two ends or forks, then each
 * closed loop. Branches of fewer than `minSpur` pixels hanging off a fork
 * (thinning's whiskers) are dropped; so is a lone pixel.
 */
export function traceStrokes(on: Uint8Array, w: number, h: number, minSpur = 3): Stroke[] {
  const n = w * h;
  const adj: number[][] = new Array(n);
  for (let i = 0; i < n; i++) adj[i] = on[i] ? neighbours(on, w, h, i) : [];
  const walked = new Set<number>(); // an edge i–j as min·n + max
  const edge = (i: number, j: number) => Math.min(i, j) * n + Math.max(i, j);
  const paths: number[][] = [];
  const walk = (from: number, next: number): number[] => {
    const path = [from];
    let prev = from;
    let cur = next;
    walked.add(edge(prev, cur));
    for (;;) {
      path.push(cur);
      if (adj[cur].length !== 2) return path; // an end or a fork
      const onward = adj[cur].find((k) => k !== prev && !walked.has(edge(cur, k)));
      if (onward === undefined) return path; // back where a loop began
      walked.add(edge(cur, onward));
      prev = cur;
      cur = onward;
    }
  };
  for (let i = 0; i < n; i++) {
    if (!on[i] || adj[i].length === 2) continue;
    for (const j of adj[i]) if (!walked.has(edge(i, j))) paths.push(walk(i, j));
  }
  for (let i = 0; i < n; i++) {
    if (!on[i] || adj[i].length !== 2 || walked.has(edge(i, adj[i][0]))) continue;
    paths.push(walk(i, adj[i][0])); // a loop with no end or fork: around it
  }
  const degree = (i: number) => adj[i].length;
  const kept = paths.filter((p) => {
    const ends = [degree(p[0]), degree(p[p.length - 1])];
    const spur = (ends[0] === 1) !== (ends[1] === 1) && p.length < minSpur; // from a fork to an end, short
    return !spur;
  });
  const strokes: Stroke[] = kept.map((p) => p.map((i): Point => ({ x: (i % w) + 0.5, y: Math.floor(i / w) + 0.5 })));
  for (let i = 0; i < n; i++) if (on[i] && adj[i].length === 0) strokes.push([{ x: (i % w) + 0.5, y: Math.floor(i / w) + 0.5 }]);
  return strokes.filter((s) => s.length > 1 || strokes.length === 1);
}

/**
 * The w×h image enlarged k times by bilinear interpolation (pixel centres at
 * half-integers; outside the image counts as no ink): a finer grid for the
 * thinning, so that a short stub or a narrow gap is several pixels wide.
 */
export function enlarge(image: ArrayLike<number>, w: number, h: number, k: number): Uint8Array {
  const W = w * k;
  const H = h * k;
  const out = new Uint8Array(W * H);
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : image[y * w + x]);
  for (let Y = 0; Y < H; Y++) {
    const fy = (Y + 0.5) / k - 0.5;
    const y0 = Math.floor(fy);
    const ty = fy - y0;
    for (let X = 0; X < W; X++) {
      const fx = (X + 0.5) / k - 0.5;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      const top = (1 - tx) * at(x0, y0) + tx * at(x0 + 1, y0);
      const bottom = (1 - tx) * at(x0, y0 + 1) + tx * at(x0 + 1, y0 + 1);
      out[Y * W + X] = Math.round((1 - ty) * top + ty * bottom);
    }
  }
  return out;
}

/**
 * Distance from each ink pixel (on = 1) to the nearest pixel without ink,
 * in pixels, by the 3-4 chamfer (two passes; within 8% of the Euclidean
 * distance); 0 off the ink. Outside the image counts as no ink.
 */
export function inkDistance(on: Uint8Array, w: number, h: number): Float32Array {
  const d = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = on[i] ? Infinity : 0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : d[y * w + x]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (d[i]) d[i] = Math.min(d[i], at(x - 1, y) + 3, at(x, y - 1) + 3, at(x - 1, y - 1) + 4, at(x + 1, y - 1) + 4);
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      if (d[i]) d[i] = Math.min(d[i], at(x + 1, y) + 3, at(x, y + 1) + 3, at(x + 1, y + 1) + 4, at(x - 1, y + 1) + 4);
    }
  }
  for (let i = 0; i < w * h; i++) d[i] /= 3;
  return d;
}

/** Ink more than this many times as far from the edge as the writer's strokes' middles is a blob (outline). */
const BLOB_DEPTH = 2;

/**
 * The image with the inside of its blobs taken out: where a writer filled a
 * loop in (a 6 or an 8 written in a heavy hand), thinning makes the blob a
 * line or a point, and the digit loses its loop. The writer's stroke is about
 * 2r wide, r the distance from a stroke's middle (its skeleton) to the edge,
 * taken where the strokes are thinnest (a quarter of the skeleton is
 * thinner); ink deeper than BLOB_DEPTH·r in from the edge is taken out, so a
 * blob keeps a rim 2r wide, which thins to a loop around it. Returns the image
 * itself when nothing is that deep (strokes of even width, crossings).
 */
export function outlineBlobs(image: Uint8Array, w: number, h: number, threshold = 128, skeleton = thin(image, w, h, threshold)): Uint8Array {
  const on = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) on[i] = image[i] >= threshold ? 1 : 0;
  const d = inkDistance(on, w, h);
  const middles: number[] = [];
  for (let i = 0; i < w * h; i++) if (skeleton[i]) middles.push(d[i]);
  if (middles.length === 0) return image;
  middles.sort((a, b) => a - b);
  const deep = BLOB_DEPTH * middles[Math.floor(middles.length / 4)];
  let out: Uint8Array | null = null;
  for (let i = 0; i < w * h; i++) {
    if (d[i] <= deep) continue;
    out ??= Uint8Array.from(image);
    out[i] = 0;
  }
  return out ?? image;
}

/** How traceImage turns an image into strokes. */
export interface Tracing {
  /** Thin and trace the image enlarged this many times (an integer from 1 to 8; default 1). */
  readonly scale?: number;
  /** Trace a blob of ink (a loop filled in) by its outline, not its middle (outlineBlobs; default false). */
  readonly outline?: boolean;
  /** Pixels at or above it (0–255) are ink (default 128). */
  readonly threshold?: number;
}

/**
 * A w×h image of bytes as strokes in its own pixel coordinates: thinned and
 * traced as above, on the image enlarged `scale` times when scale > 1 (whiskers
 * dropped below 3 of the image's pixels either way). At scale 1 a 28×28 digit's
 * thinning can take off a stub shorter than the stroke is wide (the end of a
 * 4's crossbar past its upright) and leaves staircases; at 4 it keeps more of
 * the writer's shape. With `outline`, a loop the writer filled in is traced
 * as a loop (outlineBlobs) instead of the line or point it thins to.
 */
export function traceImage(image: ArrayLike<number>, w: number, h: number, tracing: Tracing = {}): Stroke[] {
  const { scale = 1, outline = false, threshold = 128 } = tracing;
  if (!Number.isInteger(scale) || scale < 1 || scale > 8) throw new RangeError(`traceImage: scale must be an integer from 1 to 8; got ${scale}`);
  const W = w * scale;
  const H = h * scale;
  const ink = scale === 1 ? Uint8Array.from(image) : enlarge(image, w, h, scale);
  let skeleton = thin(ink, W, H, threshold);
  if (outline) {
    const hollow = outlineBlobs(ink, W, H, threshold, skeleton);
    if (hollow !== ink) skeleton = thin(hollow, W, H, threshold);
  }
  const strokes = traceStrokes(skeleton, W, H, 3 * scale);
  return scale === 1 ? strokes : strokes.map((s) => s.map((p) => ({ x: p.x / scale, y: p.y / scale })));
}
