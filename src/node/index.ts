// digitnet/node: the Node-only part of the library (files on disk).
// Everything else is in the main entry point, which runs anywhere.

export { loadMnist, loadMnistDir, mnistDataPackageDir, type LoadedMnist } from './mnist-files.js';
export { loadModelFile, saveModelFile } from './model-io.js';
export { writeFileAtomic } from './atomic.js';
export { spawnNodeThread } from './threads.js';
