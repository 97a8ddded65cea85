// Training progress output: a redrawn bar on a TTY, plain lines elsewhere.

import { describe, expect, it } from 'vitest';
import { fmtSeconds, Progress } from '../src/node/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) > 0 } };
}

describe('Progress', () => {
  it('redraws one line with a bar, samples/s and ETA on a TTY, and clears it', () => {
    const { writes, stream } = fakeStream(true);
    const p = new Progress(stream, 30, 10, 0);
    p.startEpoch();
    p.update(3, 25000, 50000);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^\r\x1b\[2KEpoch 3\/30 █{12}░{12}  50%  25,000\/50,000  [\d,]+ samples\/s  ETA \d/);
    p.update(3, 50000, 50000); // the epoch line replaces the bar: nothing drawn at 100%
    expect(writes).toHaveLength(1);
    p.clear();
    expect(writes[1]).toBe('\r\x1b[2K');
  });

  it('writes plain lines with no control characters when not a TTY', () => {
    const { writes, stream } = fakeStream(false);
    const p = new Progress(stream, 30, 0);
    p.startEpoch();
    p.update(1, 10, 40);
    p.update(1, 20, 40);
    p.clear();
    expect(writes).toHaveLength(2);
    for (const w of writes) expect(w).toMatch(/^ {2}epoch 1: \d0\/40 {2}[\d,]+ samples\/s {2}ETA [\d.]+ s\n$/);
  });

  it('formats durations', () => {
    expect(fmtSeconds(3.44)).toBe('3.4 s');
    expect(fmtSeconds(0.084)).toBe('0.08 s');
    expect(fmtSeconds(106)).toBe('1 min 46 s');
  });

  it('rounds before it splits minutes from seconds: never "60 s" in a minute', () => {
    expect(fmtSeconds(659.6)).toBe('11 min 00 s'); // not "10 min 60 s"
    expect(fmtSeconds(119.5)).toBe('2 min 00 s');
    expect(fmtSeconds(59.97)).toBe('1 min 00 s');
    expect(fmtSeconds(59.94)).toBe('59.9 s');
    expect(fmtSeconds(60.4)).toBe('1 min 00 s');
  });
});
