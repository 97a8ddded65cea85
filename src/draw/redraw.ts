// draw/redraw.ts: strokes redrawn as a person might draw them on the page's
// pad: at another size and place, leaning and turned a little, wider or
// narrower, with the pointer's uneven sampling and a hand's tremor. With
// skeleton.ts it turns MNIST's test digits into a set of drawn digits
// (scripts/drawn-set.ts); every choice comes from a seeded generator, so a
// seed gives the same set.

import type { Point, Stroke } from './preprocess.js';
import { strokeBounds } from './preprocess.js';
import type { Rng } from '../rng.js';
import { traceImage, type Tracing } from './skeleton.js';

/** The pad the redrawn digits are drawn on, in pixels (the page's is about this size). */
export const REDRAW_PAD = 320;

/**
 * An image of w×h bytes (white ink on black) as a hand would draw it on the pad: thinned, traced into strokes
 * as `tracing` says (skeleton.ts's traceImage), redrawn in a random pose; no strokes for an empty image.
 */
export function redrawImage(image: ArrayLike<number>, w: number, h: number, rng: Rng, pad = REDRAW_PAD, tracing: Tracing = {}): Stroke[] {
  return redraw(traceImage(image, w, h, tracing), randomPose(rng, pad), rng);
}

export interface Pose {
  /** The digit's height on the pad, in pad pixels. */
  size: number;
  /** Where the centre of its box goes on the pad. */
  cx: number;
  cy: number;
  /** Turn, in radians (positive: clockwise on screen, y down). */
  angle: number;
  /** Horizontal shear: positive leans right. */
  slant: number;
  /** Width over height, against the original's. */
  aspect: number;
  /** Pad pixels between the pointer's samples along a stroke. */
  step: number;
  /** The hand's tremor: standard deviation of each sample's offset, in pad pixels. */
  tremor: number;
}

/** A pose on a pad of `pad` pixels: height 30–85% of the pad, turned up to ±12°, leaning −0.25…0.35, width 0.8–1.2×, anywhere it fits. */
export function randomPose(rng: Rng, pad: number): Pose {
  const size = pad * (0.3 + 0.55 * rng.uniform());
  const room = (pad - size) / 2;
  return {
    size,
    cx: pad / 2 + (2 * rng.uniform() - 1) * room * 0.9,
    cy: pad / 2 + (2 * rng.uniform() - 1) * room * 0.9,
    angle: ((2 * rng.uniform() - 1) * 12 * Math.PI) / 180,
    slant: -0.25 + 0.6 * rng.uniform(),
    aspect: 0.8 + 0.4 * rng.uniform(),
    step: 2 + 6 * rng.uniform(),
    tremor: 1.5 * rng.uniform(),
  };
}

/** Points every `step` along the polyline, its first and last point included. */
function resample(s: Stroke, step: number): Point[] {
  if (s.length < 2) return [...s];
  const out: Point[] = [s[0]];
  let carried = 0; // distance since the last sample
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1];
    const b = s[i];
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    let t = step - carried;
    while (t <= len) {
      out.push({ x: a.x + ((b.x - a.x) * t) / len, y: a.y + ((b.y - a.y) * t) / len });
      t += step;
    }
    carried = len - (t - step);
  }
  const last = s[s.length - 1];
  const end = out[out.length - 1];
  if (end.x !== last.x || end.y !== last.y) out.push(last);
  return out;
}

/** The strokes drawn in `pose`: transformed about the centre of their box, resampled, shaken and smoothed as a pointer would record them. */
export function redraw(strokes: readonly Stroke[], pose: Pose, rng: Rng): Stroke[] {
  const box = strokeBounds(strokes);
  if (!box) return [];
  const mx = (box.minX + box.maxX) / 2;
  const my = (box.minY + box.maxY) / 2;
  const scale = pose.size / Math.max(box.maxY - box.minY, (box.maxX - box.minX) * 0.6, 1e-9);
  const cos = Math.cos(pose.angle);
  const sin = Math.sin(pose.angle);
  const place = (p: Point): Point => {
    const u = (p.x - mx) * pose.aspect - pose.slant * (p.y - my); // lean: the top goes right
    const v = p.y - my;
    return { x: pose.cx + scale * (u * cos - v * sin), y: pose.cy + scale * (u * sin + v * cos) };
  };
  return strokes.map((s) => {
    const points = resample(s.map(place), pose.step).map((p) => ({
      x: p.x + pose.tremor * rng.gaussian(),
      y: p.y + pose.tremor * rng.gaussian(),
    }));
    // a pointer's path is smooth between samples: a [1 2 1] filter, the ends kept
    return points.map((p, i) =>
      i === 0 || i === points.length - 1
        ? p
        : { x: (points[i - 1].x + 2 * p.x + points[i + 1].x) / 4, y: (points[i - 1].y + 2 * p.y + points[i + 1].y) / 4 },
    );
  });
}
