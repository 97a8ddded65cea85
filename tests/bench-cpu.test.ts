import { describe, expect, it } from 'vitest';
import { cpuNameOf } from '../scripts/bench-peers.js';

// The benches print the CPU beside every figure: machines of one kind differ by family and model.
describe('the CPU a bench names', () => {
  const info = [
    'processor\t: 0',
    'vendor_id\t: GenuineIntel',
    'cpu family\t: 6',
    'model\t\t: 167',
    'model name\t: Intel(R) Xeon(R) Processor',
    'stepping\t: 1',
    '',
    'processor\t: 1',
    'cpu family\t: 6',
    'model\t\t: 167',
    'model name\t: Intel(R) Xeon(R) Processor',
  ].join('\n');

  it('gives the model name, the CPU family and the model, as lscpu does', () => {
    expect(cpuNameOf(info)).toBe('Intel(R) Xeon(R) Processor, CPU family 6, model 167');
  });

  it('leaves out what /proc/cpuinfo does not say, and gives null without a model name', () => {
    expect(cpuNameOf('model name\t: Some CPU\ncpu family\t: 26')).toBe('Some CPU, CPU family 26');
    expect(cpuNameOf('processor\t: 0\nmodel\t\t: 1')).toBeNull();
  });
});
