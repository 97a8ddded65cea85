// Training images redrawn as the page sees drawings (data/redrawn.ts, --redrawn).

import { describe, expect, it } from 'vitest';
import { withRedrawn } from '../src/data/redrawn.js';
import { bookSplit } from '../src/data/mnist.js';
import { slice } from '../src/data/dataset.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { centreOfMass, strokesToInput } from '../src/draw/preprocess.js';
import { redrawImage, REDRAW_PAD } from '../src/draw/redraw.js';
import { Rng } from '../src/rng.js';

describe('withRedrawn', async () => {
  const { training } = bookSplit((await loadMnist()).sets);
  const set = slice(training, 0, 40);
  const both = withRedrawn(set, 1);

  it('keeps the images, then adds a redrawn copy of each with its label', () => {
    expect(both.count).toBe(80);
    expect(both.images.subarray(0, 40 * 784)).toEqual(set.images.subarray(0, 40 * 784));
    expect(both.labels.subarray(40)).toEqual(set.labels.subarray(0, 40));
    for (let i = 0; i < 40; i++) {
      const copy = both.images.subarray((40 + i) * 784, (41 + i) * 784);
      expect(copy).not.toEqual(set.images.subarray(i * 784, (i + 1) * 784));
      // the page's preprocessing: ink centred on its centre of mass in the 28×28 field
      const c = centreOfMass(Float32Array.from(copy, (v) => v / 255))!;
      expect(Math.abs(c.x - 14)).toBeLessThan(1.5);
      expect(Math.abs(c.y - 14)).toBeLessThan(1.5);
    }
  });

  it('is seeded: the same seed gives the same images, another seed others, a longer set the same first copies', () => {
    expect(withRedrawn(set, 1).images).toEqual(both.images);
    expect(withRedrawn(set, 2).images.subarray(40 * 784)).not.toEqual(both.images.subarray(40 * 784));
    const longer = withRedrawn(slice(training, 0, 60), 1);
    expect(longer.images.subarray(60 * 784, 100 * 784)).toEqual(both.images.subarray(40 * 784));
  });

  it('traces each image enlarged traceScale times when asked: the same poses, finer strokes', () => {
    const fine = withRedrawn(set, 1, { scale: 4 });
    expect(fine.images.subarray(0, 40 * 784)).toEqual(set.images.subarray(0, 40 * 784));
    expect(fine.images.subarray(40 * 784)).not.toEqual(both.images.subarray(40 * 784));
    // copy i is image i traced at 4×, redrawn and preprocessed, from the same generator as at 1×
    const rng = new Rng((1 ^ 0x5edd0a3) >>> 0);
    for (let i = 0; i < 3; i++) {
      const x = strokesToInput(redrawImage(set.images.subarray(i * 784, (i + 1) * 784), 28, 28, rng, REDRAW_PAD, { scale: 4 }))!;
      expect(fine.images.subarray((40 + i) * 784, (41 + i) * 784)).toEqual(Uint8Array.from(x, (v) => Math.round(255 * v)));
    }
    // and with filled loops traced by their outline: some copies change, each as redrawImage makes it
    const outlined = withRedrawn(set, 1, { scale: 4, outline: true });
    const again = new Rng((1 ^ 0x5edd0a3) >>> 0);
    let changed = 0;
    for (let i = 0; i < 40; i++) {
      const x = strokesToInput(redrawImage(set.images.subarray(i * 784, (i + 1) * 784), 28, 28, again, REDRAW_PAD, { scale: 4, outline: true }))!;
      const copy = outlined.images.subarray((40 + i) * 784, (41 + i) * 784);
      expect(copy).toEqual(Uint8Array.from(x, (v) => Math.round(255 * v)));
      if (copy.some((v, k) => v !== fine.images[(40 + i) * 784 + k])) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(40);
  });
});
