// digitnet: a neural-network digit recognizer written from scratch, after
// Michael Nielsen's "Neural Networks and Deep Learning". This is the library's
// public face; everything here runs in Node, in the browser and in workers.

export { Matrix } from './tensor/matrix.js';
export {
  matmul, addColumn, sumCols, map, zip, sub, hadamard, axpy, argmaxCols, transpose, type MatmulOptions,
} from './tensor/ops.js';
export { Rng, type RngState } from './rng.js';
export { Network, checkSizes, part, type ShapeTrace } from './nn/network.js';
export { sgd, type SgdOptions, type EpochResult } from './nn/sgd.js';
export { etaAt, LR_SCHEDULES, type LrSchedule } from './nn/schedules.js';
export { LayerStack } from './nn/stack.js';
export { Conv, Pool, Dense, Dropout, BatchNorm, makeLayer, type Layer, type ParamGroup } from './nn/layers/index.js';
export { makeOptimizer, Optimizer, Sgd, Nesterov, Adam, OPTIMIZERS, type OptimizerName, type OptimizerSettings } from './nn/optimizers/index.js';
export { encodeOptimizerState, decodeOptimizerState, restoreOptimizerState, OptimizerStateError } from './nn/optimizers/checkpoint.js';
export type { StackLayout } from './nn/parallel/layout.js';
export { parseLayers, shapeText, LayerSpecError, type LayerSpec, type Shape } from './nn/layer-spec.js';
export { Classifier } from './nn/classifier.js';
export { combineViews, vote } from './nn/ensemble.js';
export { TTA_VIEWS, TTA_WORDS, viewImage, viewSet, type View } from './data/views.js';
export { PRESETS, type Preset } from './nn/presets.js';
export { sigmoid, tanh, relu, activations, type Activation } from './nn/activations.js';
export { QuadraticCost, CrossEntropyCost, LogLikelihoodCost, costs, type Cost } from './nn/costs.js';
export {
  serializeModel, parseModel, describeModel, ModelFileError, MODEL_FORMAT, MODEL_VERSION,
  type TrainingMeta, type EpochRecord, type LoadedModel,
} from './nn/model-file.js';
export {
  parseIdxImages, parseIdxLabels, gunzipIfNeeded, isGzip, DataFileError, type IdxImages, type IdxLabels,
} from './data/idx.js';
export {
  decodeMnist, decodeLabelledImages, bookSplit, MNIST_FILE_NAMES, MNIST_CLASSES,
  type MnistSets, type BookSplit, type NamedBytes, type MnistFileKey,
} from './data/mnist.js';
export { gatherBatch, slice, pixelsOf, type LabelledImages } from './data/dataset.js';
export { selectBackend, sharedBackend, defaultBackend, tsBackend, type Backend, type BackendName } from './backend.js';
export { wasmSimdSupported, sharedMemorySupported } from './kernels/wasm.js';
export { ThreadedSteps, runThread, type SpawnThread, type ThreadHandle, type ThreadInit } from './nn/parallel/threads.js';
