// The page's model listing (/models/index.json): only real model files inside
// the folders, each read once per change in a worker, one build at a time,
// and a hostile or huge file never holds up the server's other answers.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serializeModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { ModelCatalog } from '../src/node/models.js';
import { startStaticServer } from '../src/node/static-server.js';
import { Rng } from '../src/rng.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-models-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const small = serializeModel(Network.random([784, 3, 10], new Rng(1)));

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('model listing', () => {
  it('lists regular model files inside the folder only: no links out, no dangling links, no curves, no folders', async () => {
    const trained = folder('a/trained');
    const shipped = folder('a/shipped');
    writeFileSync(join(trained, 'good.json'), small);
    writeFileSync(join(trained, 'good.metrics.json'), '{"epochs": []}');
    writeFileSync(join(trained, 'broken.json'), '{"sizes": [784, 10]}');
    writeFileSync(join(root, 'outside.json'), small);
    symlinkSync(join(root, 'outside.json'), join(trained, 'evil.json'));
    symlinkSync('/etc/passwd', join(trained, 'passwd.json'));
    symlinkSync(join(root, 'none.json'), join(trained, 'dangling.json'));
    symlinkSync(join(trained, 'good.json'), join(trained, 'alias.json'));
    mkdirSync(join(trained, 'folder.json'));
    writeFileSync(join(shipped, 'default.json'), small);
    const catalog = new ModelCatalog(trained, shipped);
    try {
      const list = await catalog.list();
      expect(list.map((e) => e.name).sort()).toEqual(['alias.json', 'broken.json', 'default.json', 'good.json']);
      const good = list.find((e) => e.name === 'good.json')!;
      expect(good).toMatchObject({ url: '/models/data/good.json', source: 'trained', sizes: [784, 3, 10], error: null });
      expect(list.find((e) => e.name === 'broken.json')!.error).toBe('"weights" must be a list of 1 matrices for sizes 784-10');
      expect(list[list.length - 1]).toMatchObject({ name: 'default.json', source: 'default', url: '/models/default/default.json' });
    } finally {
      await catalog.close();
    }
  });

  it('reads each file once per change, and once for requests that come together', async () => {
    const trained = folder('b/trained');
    writeFileSync(join(trained, 'one.json'), small);
    writeFileSync(join(trained, 'two.json'), small);
    const catalog = new ModelCatalog(trained, join(root, 'b/none'));
    try {
      const lists = await Promise.all([catalog.list(), catalog.list(), catalog.list(), catalog.list()]);
      expect(lists.every((l) => l.length === 2)).toBe(true);
      expect(catalog.reads).toBe(2);
      await catalog.list();
      expect(catalog.reads).toBe(2); // cached by path, size and modification time
      utimesSync(join(trained, 'two.json'), new Date(), new Date(Date.now() + 10_000));
      await catalog.list();
      expect(catalog.reads).toBe(3);
    } finally {
      await catalog.close();
    }
  });

  it('does not read a file larger than a model can be', async () => {
    const trained = folder('c/trained');
    // 10 MB of nesting: JSON.parse alone would take seconds and gigabytes
    writeFileSync(join(trained, 'nested.json'), `{"sizes": ${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}`);
    writeFileSync(join(trained, 'huge.json'), Buffer.alloc(2 << 20, 32));
    const catalog = new ModelCatalog(trained, join(root, 'c/none'), { maxBytes: 1 << 20 });
    try {
      const list = await catalog.list();
      expect(list.find((e) => e.name === 'nested.json')!.error).toBe('10 MB, too large for a model file (the listing reads at most 1 MB)');
      expect(list.find((e) => e.name === 'huge.json')!.error).toBe('2 MB, too large for a model file (the listing reads at most 1 MB)');
      expect(catalog.reads).toBe(0);
    } finally {
      await catalog.close();
    }
  });
});

describe('model listing: hostile files', () => {
  it('a deeply nested file is refused before it is parsed', async () => {
    const trained = folder('d/trained');
    writeFileSync(join(trained, 'nested.json'), `{"sizes": ${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}`);
    const catalog = new ModelCatalog(trained, join(root, 'd/none'));
    try {
      const [entry] = await catalog.list();
      expect(entry.error).toBe('not a model file: its JSON is nested more than 8 levels deep (a model file needs 4)');
    } finally {
      await catalog.close();
    }
  });

  it('a file that takes too long to read is listed as unusable', async () => {
    const trained = folder('e/trained');
    writeFileSync(join(trained, 'a-big.json'), serializeModel(Network.random([784, 1000, 10], new Rng(2))));
    const slow = new ModelCatalog(trained, join(root, 'e/none'), { timeoutMs: 1 });
    try {
      expect((await slow.list())[0].error).toBe('took more than 0.001 s to read; is it a model file?');
    } finally {
      await slow.close();
    }
  });

  it('the server answers other requests while a large listing is read', async () => {
    const trained = folder('f/trained');
    for (let i = 0; i < 3; i++) writeFileSync(join(trained, `big${i}.json`), serializeModel(Network.random([784, 1000, 10], new Rng(3 + i))));
    const site = folder('f/site');
    writeFileSync(join(site, 'small.txt'), 'x');
    const catalog = new ModelCatalog(trained, join(root, 'f/none'));
    const server = await startStaticServer([{ prefix: '/', dir: site }], {
      routes: { '/models/index.json': async () => ({ type: 'application/json', body: JSON.stringify(await catalog.list()) }) },
    });
    try {
      const order: string[] = [];
      const listing = fetch(`${server.url}models/index.json`).then(async (r) => {
        const list = await r.json();
        order.push('listing');
        return list;
      });
      await new Promise((r) => setTimeout(r, 20)); // the listing has started
      await fetch(`${server.url}small.txt`).then((r) => r.text()).then(() => order.push('small'));
      const list = (await listing) as { sizes: number[] }[];
      expect(list.map((e) => e.sizes)).toEqual([[784, 1000, 10], [784, 1000, 10], [784, 1000, 10]]);
      expect(order).toEqual(['small', 'listing']);
    } finally {
      await server.close();
      await catalog.close();
    }
  });
});
