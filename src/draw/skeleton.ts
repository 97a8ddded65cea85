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
 * A w×h image of bytes as strokes in its own pixel coordinates: thinned and
 * traced as above, on the image enlarged `scale` times when scale > 1 (whiskers
 * dropped below 3 of the image's pixels either way). At scale 1 a 28×28 digit's
 * thinning can take off a stub shorter than the stroke is wide (the end of a
 * 4's crossbar past its upright) and leaves staircases; at 4 it keeps more of
 * the writer's shape.
 */
export function traceImage(image: ArrayLike<number>, w: number, h: number, scale = 1, threshold = 128): Stroke[] {
  if (!Number.isInteger(scale) || scale < 1 || scale > 8) throw new RangeError(`traceImage: scale must be an integer from 1 to 8; got ${scale}`);
  if (scale === 1) return traceStrokes(thin(image, w, h, threshold), w, h);
  const big = traceStrokes(thin(enlarge(image, w, h, scale), w * scale, h * scale, threshold), w * scale, h * scale, 3 * scale);
  return big.map((s) => s.map((p) => ({ x: p.x / scale, y: p.y / scale })));
}
