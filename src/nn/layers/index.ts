// nn/layers/index.ts: every kind of layer, and the one place that turns a line
// of the layer language (nn/layer-spec.ts) into a layer. Adding a layer: its
// file here, its case below, its word in layer-spec.ts, and its test.

import { activations } from '../activations.js';
import type { LayerSpec, Shape } from '../layer-spec.js';
import type { Backend } from '../../backend.js';
import type { Layer } from './layer.js';
import { Dense } from './dense.js';
import { Conv } from './conv.js';
import { Pool } from './pool.js';
import { Dropout } from './dropout.js';
import { BatchNorm, withBatchNorm } from './batch-norm.js';

export { Dense, Conv, Pool, Dropout, BatchNorm, withBatchNorm };
export { Buffers, part, size, sup, type Cols, type Layer, type LayerProbe, type StackProbe, type ParamGroup, type ShapeTrace, type StateGroup } from './layer.js';

/** The layer a spec asks for, taking `shape` in, its arrays in `backend`'s memory. */
export function makeLayer(l: LayerSpec, shape: Shape, backend: Backend): Layer {
  switch (l.kind) {
    case 'conv': return new Conv(shape, l.maps, l.size, activations[l.activation], backend);
    case 'pool': return new Pool(shape, backend);
    case 'fc': return new Dense(shape, l.units, activations[l.activation], false, backend);
    case 'dropout': return new Dropout(shape, l.p, backend);
    case 'bn': return new BatchNorm(shape, backend, activations[l.activation]);
    case 'softmax': return new Dense(shape, l.units, 'softmax', true, backend);
    case 'sigmoid': return new Dense(shape, l.units, activations.sigmoid, true, backend);
  }
}
