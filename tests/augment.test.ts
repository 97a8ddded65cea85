// Training images distorted on the fly (data/augment.ts): the plain gather
// when every setting is zero, each sample's distortion fixed by (seed, epoch,
// position) whichever call or chunk makes it, and the distortions within
// their settings.

import { describe, expect, it } from 'vitest';
import { Augmenter, AUGMENT_DEFAULTS, type AugmentSettings } from '../src/data/augment.js';
import { gatherBatch } from '../src/data/dataset.js';
import { randomImages } from './fixtures.js';
import { loadMnist } from '../src/node/mnist-files.js';

const none: AugmentSettings = { rotate: 0, scale: 0, shear: 0, shift: 0, elastic: 0, grid: 7, width: 0 };
const set = randomImages(9, 30, 28, 28);
const order = Uint32Array.from({ length: 30 }, (_, i) => (i * 7) % 30);

function gathered(m: number, start: number, augment: Augmenter | null, epoch = 1): Float32Array {
  const x = new Float32Array(784 * m);
  gatherBatch(x, null, 0, set, order, start, m);
  augment?.apply(x, set, order, start, m, epoch);
  return x;
}

/** Ink (the sum of the pixels) and its centre of mass. */
function ink(img: Float32Array): { mass: number; x: number; y: number } {
  let mass = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < 784; i++) {
    mass += img[i];
    x += img[i] * (i % 28);
    y += img[i] * Math.floor(i / 28);
  }
  return { mass, x: x / mass, y: y / mass };
}

describe('augmentation', () => {
  it('with every setting at zero, gives the plain gather, bit for bit', () => {
    expect(Array.from(gathered(10, 5, new Augmenter(none, 1)))).toEqual(Array.from(gathered(10, 5, null)));
  });

  it('draws each sample by (seed, epoch, position): the same in one call or in chunks, another for another epoch or seed', () => {
    const a = new Augmenter(AUGMENT_DEFAULTS, 3);
    const whole = gathered(10, 10, a);
    const halves = new Float32Array(784 * 10);
    halves.set(gathered(4, 10, a));
    halves.set(gathered(6, 14, new Augmenter(AUGMENT_DEFAULTS, 3)), 784 * 4); // another instance, the same draws
    expect(Array.from(halves)).toEqual(Array.from(whole));
    expect(Array.from(gathered(10, 10, a))).toEqual(Array.from(whole));
    expect(Array.from(gathered(10, 10, a, 2))).not.toEqual(Array.from(whole));
    expect(Array.from(gathered(10, 10, new Augmenter(AUGMENT_DEFAULTS, 4)))).not.toEqual(Array.from(whole));
    expect(Array.from(whole)).not.toEqual(Array.from(gathered(10, 10, null)));
    for (const v of whole) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('shifts by at most `shift` pixels and scales the ink by at most (1 ± scale)²', async () => {
    const test = (await loadMnist()).sets.test;
    const x = new Float32Array(784 * 50);
    const plain = new Float32Array(784 * 50);
    gatherBatch(plain, null, 0, test, null, 0, 50);
    new Augmenter({ ...none, shift: 3 }, 5).apply(x, test, null, 0, 50, 1);
    let moved = 0;
    for (let j = 0; j < 50; j++) {
      const [a, b] = [ink(plain.subarray(j * 784, (j + 1) * 784)), ink(x.subarray(j * 784, (j + 1) * 784))];
      expect(Math.abs(b.x - a.x)).toBeLessThanOrEqual(3.05); // ink cut off at the border could move it a hair more
      expect(Math.abs(b.y - a.y)).toBeLessThanOrEqual(3.05);
      if (Math.abs(b.x - a.x) > 0.5) moved++;
    }
    expect(moved).toBeGreaterThan(10);
    new Augmenter({ ...none, scale: 0.2 }, 6).apply(x, test, null, 0, 50, 1);
    for (let j = 0; j < 50; j++) {
      const r = ink(x.subarray(j * 784, (j + 1) * 784)).mass / ink(plain.subarray(j * 784, (j + 1) * 784)).mass;
      expect(r).toBeGreaterThan(0.8 ** 2 * 0.95);
      expect(r).toBeLessThan(1.2 ** 2 * 1.05);
    }
  });

  it('refuses settings out of range, naming the setting', () => {
    expect(() => new Augmenter({ ...none, rotate: -1 }, 1)).toThrow('augment: rotate must be a number ≥ 0; got -1');
    expect(() => new Augmenter({ ...none, scale: 1 }, 1)).toThrow('augment: scale must be below 1');
    expect(() => new Augmenter({ ...none, width: 2 }, 1)).toThrow('augment: width is a share of the samples, at most 1; got 2');
    expect(() => new Augmenter({ ...none, elastic: 1, grid: 0 }, 1)).toThrow('augment: grid must be at least 1 pixel; got 0');
  });
});
