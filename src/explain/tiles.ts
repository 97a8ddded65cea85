// explain/tiles.ts: where each value of a stage goes in its heat map. Tiles
// (one per neuron's weights or per filter) sit in a grid a bit wider than
// tall; inside a tile its channels sit in a near-square grid; one pixel of
// gap between channels and between tiles. The same placement draws the map
// and turns a pointer position back into the value under it.

import type { Layout } from './layout.js';

export interface Placement {
  width: number;
  height: number;
  /** For value i, its pixel: y·width + x. */
  pixel: Int32Array;
  /** For each pixel, the value there, or −1 in a gap. */
  index: Int32Array;
}

/** Columns and rows of a near-square grid of n cells of h×w, `wide` times wider than tall. */
function grid(n: number, h: number, w: number, wide: number): [number, number] {
  const cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt((wide * n * h) / w))));
  return [cols, Math.ceil(n / cols)];
}

export function place(layout: Layout): Placement {
  const { tiles, c, h, w } = layout;
  const [cx, cy] = grid(c, h, w, 1);
  const gap = c > 1 ? 1 : 0;
  const tw = cx * w + (cx - 1) * gap;
  const th = cy * h + (cy - 1) * gap;
  const [tx, ty] = grid(tiles, th, tw, 2);
  const tgap = tiles > 1 ? 1 + gap : 0;
  const width = tx * tw + (tx - 1) * tgap;
  const height = ty * th + (ty - 1) * tgap;
  const n = tiles * c * h * w;
  const pixel = new Int32Array(n);
  const index = new Int32Array(width * height).fill(-1);
  for (let i = 0; i < n; i++) {
    const col = i % w;
    const row = Math.floor(i / w) % h;
    const ch = Math.floor(i / (w * h)) % c;
    const t = Math.floor(i / (w * h * c));
    const x = (t % tx) * (tw + tgap) + (ch % cx) * (w + gap) + col;
    const y = Math.floor(t / tx) * (th + tgap) + Math.floor(ch / cx) * (h + gap) + row;
    pixel[i] = y * width + x;
    index[y * width + x] = i;
  }
  return { width, height, pixel, index };
}
