// nn/layer-spec.ts: the readable description of a network's layers, e.g.
//   "conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10"
// parsed into a list, with the shape that flows out of each layer worked out
// from the input (1×28×28 for MNIST). Errors name the offending layer and
// token. The layers themselves (convolution, pooling) come with the layer
// stack; this is the language to ask for them in.

export type LayerSpec =
  | { kind: 'conv'; maps: number; size: number; activation: ActivationName }
  | { kind: 'pool'; size: 2 }
  | { kind: 'fc'; units: number; activation: ActivationName }
  | { kind: 'dropout'; p: number }
  | { kind: 'bn'; activation: ActivationName }
  | { kind: 'softmax'; units: number }
  | { kind: 'sigmoid'; units: number };

/** Channels × height × width. */
export interface Shape {
  c: number;
  h: number;
  w: number;
}

export class LayerSpecError extends Error {
  override name = 'LayerSpecError';
}

const ACTIVATIONS = ['sigmoid', 'tanh', 'relu', 'linear'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** The largest layer (units, or values per sample out of a layer) and parameter count a network may have: checked before anything is allocated. */
export const MAX_LAYER_SIZE = 1 << 20;
export const MAX_PARAMETERS = 1 << 27;

function positiveInt(token: string | undefined, what: string, where: string): number {
  const n = Number(token);
  if (token === undefined || !/^\d+$/.test(token) || n < 1) throw new LayerSpecError(`${where}: ${what} must be a positive integer; got '${token ?? ''}'`);
  return n;
}

function activation(token: string | undefined, where: string, otherwise: ActivationName = 'sigmoid'): ActivationName {
  const a = token ?? otherwise;
  if (!(ACTIVATIONS as readonly string[]).includes(a)) {
    throw new LayerSpecError(`${where}: unknown activation '${a}' (expected ${ACTIVATIONS.join(', ')})`);
  }
  return a as ActivationName;
}

/** Parses a description; `input` is the image's shape (MNIST: 1×28×28). */
export function parseLayers(text: string, input: Shape = { c: 1, h: 28, w: 28 }): { layers: LayerSpec[]; shapes: Shape[] } {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new LayerSpecError(`'${text}': an empty layer; separate layers by commas, e.g. "fc 100 relu, softmax 10"`);
  }
  const layers: LayerSpec[] = [];
  const shapes: Shape[] = [];
  let shape = input;
  let flat = false;
  let params = 0;
  parts.forEach((part, i) => {
    const where = `layer ${i + 1} '${part}'`;
    const [kind, ...rest] = part.split(/\s+/);
    const extra = (count: number) => {
      if (rest.length > count) throw new LayerSpecError(`${where}: unexpected '${rest[count]}'`);
    };
    let layer: LayerSpec;
    switch (kind) {
      case 'conv': {
        if (flat) throw new LayerSpecError(`${where}: a convolution cannot follow a fully-connected layer`);
        const maps = positiveInt(rest[0], 'the number of feature maps', where);
        const m = /^(\d+)x(\d+)$/.exec(rest[1] ?? '');
        if (!m || m[1] !== m[2]) throw new LayerSpecError(`${where}: the kernel size must be square, like 5x5; got '${rest[1] ?? ''}'`);
        const size = Number(m[1]);
        if (size < 1 || size > Math.min(shape.h, shape.w)) {
          throw new LayerSpecError(`${where}: a ${size}x${size} kernel does not fit ${shape.h}×${shape.w} maps`);
        }
        extra(3);
        layer = { kind: 'conv', maps, size, activation: activation(rest[2], where) };
        shape = { c: maps, h: shape.h - size + 1, w: shape.w - size + 1 };
        break;
      }
      case 'pool': {
        if (flat) throw new LayerSpecError(`${where}: pooling cannot follow a fully-connected layer`);
        if (rest[0] !== '2') throw new LayerSpecError(`${where}: only 2×2 max-pooling is supported ('pool 2'); got '${rest[0] ?? ''}'`);
        if (shape.h % 2 || shape.w % 2) throw new LayerSpecError(`${where}: 2×2 pooling needs even map sizes; the maps are ${shape.h}×${shape.w}`);
        extra(1);
        layer = { kind: 'pool', size: 2 };
        shape = { c: shape.c, h: shape.h / 2, w: shape.w / 2 };
        break;
      }
      case 'fc': {
        const units = positiveInt(rest[0], 'the number of neurons', where);
        extra(2);
        layer = { kind: 'fc', units, activation: activation(rest[1], where) };
        shape = { c: units, h: 1, w: 1 };
        flat = true;
        break;
      }
      case 'dropout': {
        const p = Number(rest[0]);
        if (rest[0] === undefined || !(p >= 0 && p < 1)) throw new LayerSpecError(`${where}: the dropout probability must be from 0 up to 1; got '${rest[0] ?? ''}'`);
        extra(1);
        layer = { kind: 'dropout', p };
        break;
      }
      case 'bn': {
        extra(1);
        layer = { kind: 'bn', activation: activation(rest[0], where, 'linear') };
        break;
      }
      case 'softmax':
      case 'sigmoid': {
        if (i !== parts.length - 1) throw new LayerSpecError(`${where}: the ${kind} output layer must come last`);
        const units = positiveInt(rest[0], 'the number of outputs', where);
        extra(1);
        layer = { kind, units };
        shape = { c: units, h: 1, w: 1 };
        break;
      }
      default:
        throw new LayerSpecError(`${where}: unknown layer '${kind}' (expected conv, pool, fc, dropout, bn, softmax or sigmoid)`);
    }
    const inputs = (shapes.length ? shapes[shapes.length - 1] : input);
    const fanIn = layer.kind === 'conv' ? inputs.c * layer.size * layer.size : inputs.c * inputs.h * inputs.w;
    const values = shape.c * shape.h * shape.w;
    const units = layer.kind === 'conv' ? layer.maps : layer.kind === 'pool' || layer.kind === 'dropout' ? 0 : layer.kind === 'bn' ? 0 : layer.units;
    if (units > MAX_LAYER_SIZE || values > MAX_LAYER_SIZE) {
      throw new LayerSpecError(`${where}: ${values.toLocaleString('en')} values per image, more than the ${MAX_LAYER_SIZE.toLocaleString('en')} a layer may have`);
    }
    params += layer.kind === 'bn' ? 2 * shape.c : units * (fanIn + 1);
    if (params > MAX_PARAMETERS) {
      throw new LayerSpecError(`${where}: the network would need over ${params.toLocaleString('en')} parameters, more than the ${MAX_PARAMETERS.toLocaleString('en')} allowed`);
    }
    layers.push(layer);
    shapes.push(shape);
  });
  const last = layers[layers.length - 1];
  if (last.kind !== 'softmax' && last.kind !== 'sigmoid') {
    throw new LayerSpecError(`'${text}': the last layer must be the output, 'softmax N' or 'sigmoid N'`);
  }
  return { layers, shapes };
}

/** "20×24×24" */
export function shapeText(s: Shape): string {
  return s.h === 1 && s.w === 1 ? `${s.c}` : `${s.c}×${s.h}×${s.w}`;
}
