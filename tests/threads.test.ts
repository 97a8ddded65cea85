// Training steps shared among worker threads: the weights must be bit for
// bit those of one thread, whatever the thread count, on both backends,
// including a last mini-batch smaller than the rest and more threads than
// rows or samples.

import { afterAll, describe, expect, it } from 'vitest';
import { sharedBackend, tsBackend, type BackendName } from '../src/backend.js';
import { Network, part } from '../src/nn/network.js';
import { sgd } from '../src/nn/sgd.js';
import { ThreadedSteps, type SpawnThread, type ThreadInit } from '../src/nn/parallel/threads.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';
import { makeOptimizer } from '../src/nn/optimizers/index.js';

const open: ThreadedSteps[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
});

const train = randomImages(1, 203, 28, 28); // 203 = 20 × 10 + 3: a last mini-batch of 3
const test = randomImages(2, 40, 28, 28);

async function run(backend: BackendName, T: number, sizes: number[], m = 10) {
  const shared = await sharedBackend(backend);
  const rng = new Rng(4);
  const net = Network.random(sizes, rng, { backend: shared });
  const ms = [m, train.count % m].filter((k) => k > 0);
  const threads = T > 1 ? await ThreadedSteps.start(net, train, ms, T, spawnNodeThread, test) : undefined;
  if (threads) open.push(threads);
  const results = sgd(net, train, { epochs: 2, miniBatchSize: m, eta: 3.0, rng, evaluation: test, threads });
  // the threads' evaluation (shared among them) counts as the network's own
  if (threads) expect(threads.evaluate()).toBe(net.evaluate(test));
  return { params: Array.from(net.params), correct: results.map((r) => r.correct) };
}

describe('threaded training steps', () => {
  for (const backend of ['wasm', 'ts'] as const) {
    it(`${backend}: 2 and 3 threads give the same weights as 1, bit for bit`, async () => {
      const one = await run(backend, 1, [784, 30, 10]);
      const two = await run(backend, 2, [784, 30, 10]);
      const three = await run(backend, 3, [784, 30, 10]);
      expect(two.params).toEqual(one.params);
      expect(three.params).toEqual(one.params);
      expect(three.correct).toEqual(one.correct);
    });
  }

  it('with L2, momentum, softmax and ReLU, 2 threads give the same weights as 1', async () => {
    const { LogLikelihoodCost } = await import('../src/nn/costs.js');
    const { relu } = await import('../src/nn/activations.js');
    const go = async (T: number) => {
      const shared = await sharedBackend('wasm');
      const rng = new Rng(6);
      const net = Network.random([784, 30, 10], rng, { backend: shared, cost: LogLikelihoodCost, activation: relu, init: 'default' });
      net.optimizer = makeOptimizer({ lambda: 2, n: train.count, momentum: 0.5 });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread) : undefined;
      if (threads) open.push(threads);
      sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng, lambda: 2, momentum: 0.5, threads });
      return Array.from(net.params);
    };
    expect(await go(2)).toEqual(await go(1));
  });

  it('with dropout (its masks drawn by thread 0 in one thread\'s order), 2 and 3 threads give the same weights as 1', async () => {
    const go = async (T: number) => {
      const shared = await sharedBackend('wasm');
      const rng = new Rng(9);
      const net = Network.random([784, 20, 12, 10], rng, { backend: shared, init: 'default' });
      net.optimizer = makeOptimizer({ lambda: 1, n: train.count, momentum: 0.3 });
      net.dropout = 0.3; // before the threads start: they copy it
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread) : undefined;
      if (threads) open.push(threads);
      sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.5, rng, lambda: 1, momentum: 0.3, dropout: 0.3, threads });
      return Array.from(net.params);
    };
    const one = await go(1);
    expect(await go(2)).toEqual(one);
    expect(await go(3)).toEqual(one);
    // and the masks matter: without dropout the run differs
    const shared = await sharedBackend('wasm');
    const rng = new Rng(9);
    const plain = Network.random([784, 20, 12, 10], rng, { backend: shared, init: 'default' });
    sgd(plain, train, { epochs: 2, miniBatchSize: 10, eta: 0.5, rng, lambda: 1, momentum: 0.3 });
    expect(Array.from(plain.params)).not.toEqual(one);
  });

  it('with more threads than samples in a mini-batch or rows in a layer', async () => {
    const one = await run('wasm', 1, [784, 5, 3, 10], 2);
    const four = await run('wasm', 4, [784, 5, 3, 10], 2);
    expect(four.params).toEqual(one.params);
  });

  it('the shared single-thread path equals the ordinary network (heap, TypeScript kernels)', async () => {
    const rng = new Rng(4);
    const net = Network.random([784, 30, 10], rng, { backend: tsBackend });
    sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 3.0, rng, evaluation: test });
    expect(Array.from(net.params)).toEqual((await run('ts', 1, [784, 30, 10])).params);
  });

  it('needs a network in shared memory', async () => {
    const net = Network.random([784, 30, 10], new Rng(1), { backend: tsBackend });
    await expect(ThreadedSteps.start(net, train, [10], 2, spawnNodeThread)).rejects.toThrow('must live in shared memory');
  });
});

describe('threaded evaluation', () => {
  it('counts the same hits as Network.evaluate on a set of real size, for 2 and 3 threads', async () => {
    const big = randomImages(5, 2345, 28, 28); // not a multiple of the threads' chunk
    for (const T of [2, 3]) {
      const net = Network.random([784, 30, 10], new Rng(T), { backend: await sharedBackend('wasm') });
      const threads = await ThreadedSteps.start(net, train, [10], T, spawnNodeThread, big);
      open.push(threads);
      const expected = net.evaluate(big);
      expect(expected).toBeGreaterThan(0);
      expect(threads.evaluate()).toBe(expected);
      expect(threads.evaluates(big)).toBe(true);
      expect(threads.evaluates(test)).toBe(false);
    }
  });
});

describe('part', () => {
  it('splits n into T ordered pieces as even as can be, covering every item once', () => {
    for (const [n, T] of [[10, 2], [10, 3], [3, 4], [30, 2], [1, 1]]) {
      const pieces = Array.from({ length: T }, (_, t) => part(n, t, T));
      expect(pieces[0][0]).toBe(0);
      expect(pieces[T - 1][1]).toBe(n);
      for (let t = 1; t < T; t++) expect(pieces[t][0]).toBe(pieces[t - 1][1]);
      const sizes = pieces.map(([a, b]) => b - a);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('a layer stack on threads', () => {
  const spec = 'conv 4 5x5 relu, pool 2, conv 6 3x3 tanh, fc 16 sigmoid, softmax 10';
  async function stackRun(backend: BackendName, T: number) {
    const { LayerStack } = await import('../src/nn/stack.js');
    const shared = await sharedBackend(backend);
    const rng = new Rng(8);
    const net = new LayerStack(spec, undefined, shared);
    net.init(rng);
    net.optimizer = makeOptimizer({ lambda: 1, n: train.count, momentum: 0.5 });
    const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, test) : undefined;
    if (threads) open.push(threads);
    const results = sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.05, rng, lambda: 1, momentum: 0.5, evaluation: test, threads });
    if (threads) expect(threads.evaluate()).toBe(net.evaluate(test));
    return { params: Float32Array.from(net.params), correct: results.map((r) => r.correct) };
  }

  for (const backend of ['wasm', 'ts'] as const) {
    it(`${backend}: the same seed and thread count give the same weights; other counts differ only by rounding`, async () => {
      const one = await stackRun(backend, 1);
      const two = await stackRun(backend, 2);
      const twoAgain = await stackRun(backend, 2);
      const three = await stackRun(backend, 3);
      expect(Array.from(twoAgain.params)).toEqual(Array.from(two.params));
      // each thread sums its part of the mini-batch: the same gradients, added up in another order
      let worst = 0;
      for (let i = 0; i < one.params.length; i++) worst = Math.max(worst, Math.abs(two.params[i] - one.params[i]), Math.abs(three.params[i] - one.params[i]));
      expect(worst).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1e-3);
    }, 60_000);
  }

  it('a fully-connected stack splits by samples then neurons: 1, 2 and 3 threads give the same weights, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const run = async (T: number) => {
      const rng = new Rng(11);
      const net = new LayerStack('fc 20 relu, fc 12 tanh, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      const before = Array.from(net.params);
      net.optimizer = makeOptimizer({ lambda: 2, n: train.count, momentum: 0.4 });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, test) : undefined;
      if (threads) open.push(threads);
      const results = sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng, lambda: 2, momentum: 0.4, evaluation: test, threads });
      return { before, params: Array.from(net.params), correct: results.map((r) => r.correct) };
    };
    const one = await run(1);
    expect(one.params.filter((v, i) => v !== one.before[i]).length).toBeGreaterThan(0.9 * one.params.length); // it trained
    for (const T of [2, 3]) {
      const other = await run(T);
      expect(other.params).toEqual(one.params);
      expect(other.correct).toEqual(one.correct);
    }
  }, 60_000);

  it('a fully-connected step cut anywhere (the balance\'s cuts, drawn at random every step) gives the 1-thread weights, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const { CUT_ONE } = await import('../src/nn/parallel/control.js');
    const run = async (T: number) => {
      const rng = new Rng(12);
      const net = new LayerStack('fc 20 relu, dropout 0.2, fc 12 tanh, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      net.optimizer = makeOptimizer({ name: 'adam', n: train.count });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, test) : undefined;
      const cuts: number[][] = [];
      if (threads) {
        open.push(threads);
        threads.adaptive = false; // every step on every thread
        const draw = new Rng(T);
        threads.balance = {
          record: (_p, phase) => {
            const inner = Array.from({ length: T - 1 }, () => Math.floor(draw.uniform() * (CUT_ONE + 1))).sort((a, b) => a - b);
            phase.cuts.set([0, ...inner, CUT_ONE]);
            cuts.push(inner);
          },
        };
      }
      const results = sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.01, rng, optimizer: { name: 'adam' }, evaluation: test, threads });
      return { params: Array.from(net.params), correct: results.map((r) => r.correct), cuts, ran: threads?.chunksRun() ?? [] };
    };
    const one = await run(1);
    for (const T of [2, 3]) {
      const other = await run(T);
      expect(other.cuts.length).toBe(2 * 2 * 21); // two phases a step, 21 steps an epoch
      expect(other.cuts.some((c) => c[0] < CUT_ONE / 8)).toBe(true); // some cuts far from even
      expect(other.ran[1]).toBeGreaterThan(0);
      expect(other.params).toEqual(one.params);
      expect(other.correct).toEqual(one.correct);
    }
  }, 60_000);

  /** A small fully-connected stack in shared memory. */
  const smallStack = async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const net = new LayerStack('fc 8 relu, softmax 10', undefined, await sharedBackend('wasm'));
    net.init(new Rng(1));
    return net;
  };
  /** A real worker, told what thread 0 tells it as `change` alters it. */
  const altered = (change: (init: ThreadInit) => ThreadInit): SpawnThread => () => {
    const w = spawnNodeThread();
    return { ...w, postMessage: (init) => w.postMessage(change(init as ThreadInit)) };
  };

  it('a worker that fails stops the step with an error instead of leaving thread 0 waiting', async () => {
    const net = await smallStack();
    // the worker is told of no arrays: the first chunk it claims needs one and fails
    const broken = altered((init) => ({ ...init, layout: { ...init.layout, buffers: [] } }));
    const threads = await ThreadedSteps.start(net, train, [10], 2, broken);
    open.push(threads);
    threads.adaptive = false; // every step offered to the worker
    for (let i = 0; i < train.count; i++) threads.order[i] = i;
    // thread 0 may take every chunk of a step before the worker wakes, so step until the worker has claimed one
    expect(() => {
      for (let k = 0; k < 100_000; k++) threads.step((k % 20) * 10, 10, 0.1);
    }).toThrow('threads: worker thread 1 failed: threads: thread 1 needs an array'); // with the worker's own reason
  });

  it('refuses a mini-batch size it has no arrays for, before any thread starts on it', async () => {
    const net = await smallStack();
    const threads = await ThreadedSteps.start(net, train, [10, 3], 2, spawnNodeThread);
    open.push(threads);
    expect(() => threads.step(0, 7, 0.1)).toThrow('threads: a mini-batch of 7, but the threads were started for 10, 3');
  });

  // A worker that is there but never runs (its core busy with another process,
  // or still starting): thread 0 claims every chunk itself. With fixed shares
  // it would wait for the worker's share forever.
  const absent: SpawnThread = () => {
    let listener: ((message: unknown) => void) | null = null;
    return {
      postMessage: () => setTimeout(() => listener?.({ ready: true }), 0),
      onMessage: (l) => { listener = l; },
      terminate: () => undefined,
    };
  };
  // One that starts when the test says (join), the run under way: it claims chunks from then on.
  const lateWorker = () => {
    let listener: ((message: unknown) => void) | null = null;
    let real: ReturnType<SpawnThread> | null = null;
    let held: unknown = null;
    const spawn: SpawnThread = () => ({
      postMessage: (init) => {
        held = init;
        setTimeout(() => listener?.({ ready: true }), 0);
      },
      onMessage: (l) => { listener = l; },
      terminate: () => real?.terminate(),
    });
    const join = () => new Promise<void>((resolve) => {
      real = spawnNodeThread();
      real.onMessage((m) => { if ((m as { ready?: boolean }).ready) resolve(); });
      real.postMessage(held);
    });
    return { spawn, join };
  };

  it('steps on with a worker that never runs, and one that joins late, to the same weights, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    // epochs of Adam with dropout and evaluation; `more(e, threads)`: after epoch e, whether to run another
    const go = async (T: number, spawn: SpawnThread, evaluation: boolean, more: (e: number, threads?: ThreadedSteps) => Promise<boolean>) => {
      const rng = new Rng(12);
      const net = new LayerStack('fc 20 relu, dropout 0.3, fc 12 tanh, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      net.optimizer = makeOptimizer({ name: 'adam', n: train.count });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawn, evaluation ? test : undefined) : undefined;
      if (threads) open.push(threads);
      if (threads) threads.adaptive = false; // every step offered to every thread
      const results = [];
      let e = 0;
      do results.push(...sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 0.01, rng, optimizer: { name: 'adam' }, evaluation: evaluation ? test : undefined, threads }));
      while (await more(e++, threads));
      return { params: Array.from(net.params), correct: results.map((r) => r.correct), steps: net.optimizer.steps, ran: threads?.chunksRun() ?? [], epochs: e };
    };
    const epochs = (n: number) => async (e: number) => e + 1 < n;
    const one = await go(1, spawnNodeThread, true, epochs(4));
    expect(one.steps).toBe(4 * 21); // Adam's t counts every step
    const same = { params: one.params, correct: one.correct, steps: one.steps };
    // no worker: thread 0 runs every chunk (2 phases × 2 chunks a step, and 2 an evaluation)
    const alone = await go(2, absent, true, epochs(4));
    expect(alone).toMatchObject(same);
    expect(alone.ran).toEqual([4 * 21 * 4 + 4 * 2, 0]);
    expect(await go(3, absent, false, epochs(4))).toMatchObject({ ...same, correct: one.correct.map(() => null) });
    // a worker that joins after the first epoch, and runs chunks from then on (epochs go on until it has, as a busy machine may delay it)
    const { spawn, join } = lateWorker();
    const late = await go(2, spawn, true, async (e, threads) => {
      if (e === 0) await join();
      return e < 3 || (threads!.chunksRun()[1] === 0 && e < 100);
    });
    expect(late.ran[1]).toBeGreaterThan(0);
    expect(late.ran[0] + late.ran[1]).toBe(late.epochs * (21 * 4 + 2));
    const reference = await go(1, spawnNodeThread, true, epochs(late.epochs));
    expect(late).toMatchObject({ params: reference.params, correct: reference.correct, steps: reference.steps });
  }, 60_000);

  it('a conv stack steps on with a worker that never runs: the weights of its thread count, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const go = async (spawn: SpawnThread, epochs: number | null) => {
      const rng = new Rng(13);
      const net = new LayerStack('conv 3 5x5 relu, pool 2, bn, fc 16 relu, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      const before = Array.from(net.state);
      const threads = await ThreadedSteps.start(net, train, [10, 3], 2, spawn, test);
      open.push(threads);
      threads.adaptive = false; // every step offered to every thread
      const correct = [];
      // epochs: as many as given, or until the worker has run a chunk
      for (let e = 0; epochs === null ? threads.chunksRun()[1] === 0 && e < 100 : e < epochs; e++) {
        correct.push(...sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 0.05, rng, evaluation: test, threads }).map((r) => r.correct));
      }
      return { params: Array.from(net.params), state: Array.from(net.state), before, correct, ran: threads.chunksRun() };
    };
    const two = await go(spawnNodeThread, null);
    expect(two.ran[1]).toBeGreaterThan(0); // the worker did some of it
    expect(two.state.filter((v, i) => v !== two.before[i]).length).toBe(two.state.length); // batch norm's running averages moved
    const alone = await go(absent, two.correct.length);
    expect(alone).toMatchObject({ params: two.params, state: two.state, correct: two.correct });
    expect(alone.ran[1]).toBe(0);
  }, 60_000);

  it('steps run alone on thread 0 or together as the pace says, to the same weights, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const go = async (spec: string, T: number, pace?: ThreadedSteps['pace']) => {
      const rng = new Rng(14);
      const net = new LayerStack(spec, undefined, await sharedBackend('wasm'));
      net.init(rng);
      net.optimizer = makeOptimizer({ name: 'adam', n: train.count });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, test) : undefined;
      if (threads) open.push(threads);
      if (threads && pace) threads.pace = pace;
      const results = sgd(net, train, { epochs: 3, miniBatchSize: 10, eta: 0.01, rng, optimizer: { name: 'adam' }, evaluation: test, threads });
      return { params: Array.from(net.params), correct: results.map((r) => r.correct), steps: net.optimizer.steps, ran: threads?.chunksRun() ?? [] };
    };
    // a pace that alternates: alone, together, alone, …
    const alternate = () => {
      const p = { together: false, alone: 0, record: () => { if (!p.together) p.alone++; p.together = !p.together; } };
      return p;
    };
    for (const spec of ['fc 20 relu, dropout 0.3, fc 12 tanh, softmax 10', 'conv 3 5x5 relu, pool 2, bn, fc 16 relu, softmax 10']) {
      const reference = await go(spec, spec.startsWith('fc') ? 1 : 2, undefined);
      const pace = alternate();
      const mixed = await go(spec, 2, pace);
      expect(pace.alone).toBe(Math.ceil((3 * 21) / 2));
      expect(mixed).toMatchObject({ params: reference.params, correct: reference.correct, steps: reference.steps });
    }
  }, 60_000);

  it('start need not wait for its workers: thread 0 steps alone, untimed, until they are ready, to the same weights, bit for bit', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    // a worker the test holds back: it hears of the shared memory only on release()
    let release = () => {};
    const held: SpawnThread = () => {
      const w = spawnNodeThread();
      return { ...w, postMessage: (init) => { release = () => w.postMessage(init); } };
    };
    const go = async (T: number, epochs: number | null, releaseAtOnce = false) => {
      const rng = new Rng(16);
      const net = new LayerStack('fc 20 relu, fc 12 tanh, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, held, test, { waitForWorkers: false }) : undefined;
      const epoch = () => sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 0.05, rng, evaluation: test, threads })[0].correct;
      const correct = [epoch()];
      if (!threads) {
        while (correct.length < epochs!) correct.push(epoch());
        return { params: Array.from(net.params), correct };
      }
      open.push(threads);
      const pace = { together: true, timed: 0, record: () => { pace.timed++; } };
      threads.pace = pace;
      const before = { ran: threads.stepsRun(), chunks: threads.chunksRun(), timed: pace.timed };
      release();
      if (!releaseAtOnce) await threads.ready(); // else the worker attaches while thread 0 steps
      // epochs until the worker has run a chunk (a busy machine may delay it; so may its start, which thread 0 does not wait for here)
      const t0 = Date.now();
      while (threads.chunksRun()[1] === 0 && Date.now() - t0 < 30_000) correct.push(epoch());
      return { params: Array.from(net.params), correct, before, after: { ran: threads.stepsRun(), timed: pace.timed } };
    };
    const two = await go(2, null);
    // 203 samples: 21 steps an epoch; the first epoch all on thread 0, none timed, the worker not there
    expect(two.before).toEqual({ ran: { together: 0, alone: 0, starting: 21 }, chunks: [21 * 2 + 2, 0], timed: 0 });
    const later = 21 * (two.correct.length - 1);
    expect(two.after).toEqual({ ran: { together: later, alone: 0, starting: 21 }, timed: later });
    const one = await go(1, two.correct.length);
    expect(two).toMatchObject(one);
    const concurrent = await go(2, null, true);
    expect(concurrent.after!.ran.together).toBeGreaterThan(0);
    expect(concurrent).toMatchObject(await go(1, concurrent.correct.length));
    // a conv stack waits all the same: its worker remakes the replicas by running them on the shared arrays
    const conv = new LayerStack('conv 3 5x5 relu, pool 2, fc 16 relu, softmax 10', undefined, await sharedBackend('wasm'));
    conv.init(new Rng(17));
    let started = false;
    const starting = ThreadedSteps.start(conv, train, [10], 2, held, undefined, { waitForWorkers: false }).then((t) => {
      open.push(t);
      started = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);
    release();
    await starting;
    expect(started).toBe(true);
  }, 60_000);

  it('a worker that cannot start: start() rejects, or, when not waiting, a step after the failure throws it', async () => {
    const net = await smallStack();
    // it fails before it is ready: the memory it is given is no WebAssembly memory
    const unfit = altered((init) => ({ ...init, memory: new SharedArrayBuffer(65536) }));
    await expect(ThreadedSteps.start(net, train, [10], 2, unfit)).rejects.toThrow(/^thread 1: /);
    const threads = await ThreadedSteps.start(net, train, [10], 2, unfit, undefined, { waitForWorkers: false });
    open.push(threads);
    for (let i = 0; i < train.count; i++) threads.order[i] = i;
    // thread 0 steps on alone until it sees the failure the worker leaves in shared memory (it takes no message meanwhile)
    expect(() => {
      const t0 = Date.now();
      while (Date.now() - t0 < 30_000) threads.step(0, 10, 0.1);
    }).toThrow(/^threads: worker thread 1 failed: /);
    await expect(threads.ready()).rejects.toThrow(/thread 1/);
  }, 60_000);

  it('with augmentation, 2 threads give the 1-thread weights, bit for bit, and refuse other settings', async () => {
    const { AUGMENT_DEFAULTS } = await import('../src/data/augment.js');
    const { LayerStack } = await import('../src/nn/stack.js');
    const augment = { settings: AUGMENT_DEFAULTS, seed: 9 };
    const go = async (T: number, withAugment: boolean, pace?: ThreadedSteps['pace']) => {
      const rng = new Rng(15);
      const net = new LayerStack('fc 20 relu, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, undefined, withAugment ? { augment } : {}) : undefined;
      if (threads) open.push(threads);
      if (threads && pace) threads.pace = pace;
      sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng, threads, augment: withAugment ? augment : undefined });
      return { params: Array.from(net.params), threads };
    };
    const one = await go(1, true);
    const plain = await go(1, false);
    expect(one.params).not.toEqual(plain.params); // the distortions change the training
    const alternate = { together: false, record() { this.together = !this.together; } };
    expect((await go(2, true, alternate)).params).toEqual(one.params); // alone and together both
    expect((await go(3, true)).params).toEqual(one.params);
    const { threads } = await go(2, false);
    expect(() => sgd(new LayerStack('fc 20 relu, softmax 10'), train, { epochs: 1, miniBatchSize: 10, eta: 0.1, rng: new Rng(1), threads, augment }))
      .toThrow('sgd: the threads were started with other --augment settings');
  }, 60_000);

  it('with label smoothing, every thread smooths: 2 threads give the 1-thread weights of a fully-connected stack, and a conv stack its own rounding of them', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const go = async (spec: string, T: number, e: number) => {
      const rng = new Rng(21);
      const net = new LayerStack(spec, undefined, await sharedBackend('wasm'));
      net.init(rng);
      net.labelSmoothing = e;
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread) : undefined;
      if (threads) open.push(threads);
      sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng, threads, labelSmoothing: e });
      return { params: Array.from(net.params), threads };
    };
    const worst = (a: number[], b: number[]) => a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i])), 0);
    const fc = 'fc 20 relu, softmax 10';
    const one = await go(fc, 1, 0.1);
    expect(worst(one.params, (await go(fc, 1, 0)).params)).toBeGreaterThan(1e-3);
    expect((await go(fc, 2, 0.1)).params).toEqual(one.params);
    // replicas: each thread backpropagates its own samples, so a worker that did not smooth would be off by as much as smoothing moves
    const conv = 'conv 4 5x5 relu, pool 2, fc 16 relu, softmax 10';
    const convOne = await go(conv, 1, 0.1);
    const convTwo = await go(conv, 2, 0.1);
    const moved = worst(convOne.params, (await go(conv, 1, 0)).params);
    expect(moved).toBeGreaterThan(1e-2);
    expect(worst(convTwo.params, convOne.params)).toBeLessThan(moved / 100);
    const { threads } = await go(fc, 2, 0);
    expect(() => sgd(new LayerStack(fc), train, { epochs: 1, miniBatchSize: 10, eta: 0.1, rng: new Rng(1), threads, labelSmoothing: 0.1 }))
      .toThrow('sgd: the threads were started with another label smoothing');
  }, 60_000);

  it('a conv stack with dropout: each replica gets the masks one thread would draw for its samples', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const go = async (T: number) => {
      const rng = new Rng(5);
      const net = new LayerStack('conv 3 5x5 relu, pool 2, dropout 0.4, fc 16 relu, dropout 0.5, softmax 10', undefined, await sharedBackend('wasm'));
      net.init(rng);
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread) : undefined;
      if (threads) open.push(threads);
      sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.05, rng, threads });
      return Array.from(net.params);
    };
    const one = await go(1);
    const two = await go(2);
    expect(await go(2)).toEqual(two); // deterministic for a thread count
    // the same masks as one thread: only the summation order differs (other masks would move the weights far more)
    let worst = 0;
    for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(two[i] - one[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1e-3);
    const otherMasks = new LayerStack('conv 3 5x5 relu, pool 2, dropout 0.4, fc 16 relu, dropout 0.5, softmax 10');
    const rng = new Rng(5);
    otherMasks.init(rng);
    sgd(otherMasks, train, { epochs: 2, miniBatchSize: 10, eta: 0.05, rng: new Rng(6), threads: undefined });
    let far = 0;
    for (let i = 0; i < one.length; i++) far = Math.max(far, Math.abs(otherMasks.params[i] - one[i]));
    expect(far).toBeGreaterThan(1e-2);
  });
});
