// node/train-options.ts: what `npm run train` is asked to do: its options
// parsed and checked (ranges, combinations), with the help text, and the
// default model name that lists the settings that differ from the preset's.
// No process, no files: scripts/train.ts runs it, tests call it directly.

import { MNIST_CLASSES, MNIST_PIXELS } from '../data/mnist.js';
import { CrossEntropyCost, LogLikelihoodCost, QuadraticCost, type Cost } from '../nn/costs.js';
import { LayerSpecError, parseLayers } from '../nn/layer-spec.js';
import { checkSizes, Network } from '../nn/network.js';
import { LayerStack } from '../nn/stack.js';
import type { LoadedModel, TrainingMeta } from '../nn/model-file.js';
import { activations } from '../nn/activations.js';
import { isStackPreset, PRESETS, type FcPreset, type StackPreset } from '../nn/presets.js';
import { MAX_THREADS } from '../nn/parallel/threads.js';
import { OPTIMIZER_NAMES, type OptimizerName } from '../nn/optimizers/index.js';
import { LR_SCHEDULES, type LrSchedule } from '../nn/schedules.js';
import type { ActivationName, LayerSpec } from '../nn/layer-spec.js';
export { USAGE } from './train-usage.js';
import { datasetOption, intOption, listOption, parseCommandLine, positiveOption, UsageError } from './cli.js';

export const DEFAULTS = { hidden: [30], epochs: 30, batchSize: 10, eta: 3.0, seed: 1, evalSet: 'test' as const };

/** Adam's and AdamW's learning rate when none is given (the paper's α); the book's η would make them diverge. */
export const ADAM_ETA = 0.001;
/** μ for --optimizer momentum or nesterov when --momentum is not given. */
export const DEFAULT_MU = 0.9;


/** Upper ends of the numeric options: beyond them a run cannot work (or end) on any laptop. */
export const MAX_EPOCHS = 100_000;
export const MAX_BATCH = 60_000;

/** The command line of `npm run train`, checked: one UsageError naming the option for anything wrong. */
export function parseTrainOptions(argv: string[]) {
  const { values } = parseCommandLine(argv, {
      backend: { type: 'string' },
      threads: { type: 'string' },
      preset: { type: 'string' },
      cost: { type: 'string' },
      output: { type: 'string' },
      activation: { type: 'string' },
      init: { type: 'string' },
      lambda: { type: 'string' },
      momentum: { type: 'string' },
      optimizer: { type: 'string' },
      schedule: { type: 'string' },
      'batch-norm': { type: 'boolean' },
      dropout: { type: 'string' },
      'label-smoothing': { type: 'string' },
      expand: { type: 'boolean' },
      augment: { type: 'boolean' },
      'clean-epochs': { type: 'string' },
      'clean-eta': { type: 'string' },
      redrawn: { type: 'boolean' },
      'trace-scale': { type: 'string' },
      'outline-blobs': { type: 'boolean' },
      'eta-schedule': { type: 'string' },
      'early-stop': { type: 'string' },
      monitor: { type: 'string' },
      sizes: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      eta: { type: 'string' },
      seed: { type: 'string' },
      'no-shuffle': { type: 'boolean' },
      'train-size': { type: 'string' },
      eval: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      'data-dir': { type: 'string' },
      dataset: { type: 'string' },
      'debug-shapes': { type: 'boolean' },
      quiet: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
  });
  if (values.sizes !== undefined && values.hidden !== undefined) {
    throw new UsageError('give --sizes or --hidden, not both');
  }
  if (values.layers !== undefined) {
    for (const flag of ['sizes', 'hidden', 'cost', 'output', 'activation', 'dropout'] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} is for fully-connected networks; with --layers, say it in the layers (e.g. "fc 100 relu, dropout 0.5, softmax 10")`);
      }
    }
    try {
      parseLayers(values.layers);
    } catch (err) {
      if (err instanceof LayerSpecError) throw new UsageError(`--layers: ${(err as Error).message}`);
      throw err;
    }
  }
  const sizes = values.sizes !== undefined ? listOption('sizes', values.sizes) : undefined;
  if (sizes && sizes.length < 2) throw new UsageError(`--sizes needs at least an input and an output layer, e.g. 784,30,10; got '${values.sizes}'`);
  const hidden = values.hidden !== undefined ? listOption('hidden', values.hidden) : undefined;
  for (const [flag, list] of [['sizes', sizes], ['hidden', hidden && [MNIST_PIXELS, ...hidden, MNIST_CLASSES]]] as const) {
    if (!list) continue;
    try {
      checkSizes(list);
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  }
  const evalSet = values.eval;
  if (evalSet !== undefined && evalSet !== 'test' && evalSet !== 'validation') {
    throw new UsageError(`--eval must be 'test' or 'validation'; got '${evalSet}'`);
  }
  if (values.redrawn && values.dataset !== undefined && values.dataset !== 'mnist') {
    throw new UsageError(`--redrawn redraws digits as a hand draws them on the page; it goes with MNIST, not --dataset ${values.dataset}`);
  }
  const backend = values.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'ts' && backend !== 'wasm') {
    throw new UsageError(`--backend must be 'auto', 'ts' or 'wasm'; got '${backend}'`);
  }
  const choice = <T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be ${allowed.map((a) => `'${a}'`).join(', ')}; got '${value}'`);
    return value as T;
  };
  const preset = values.preset !== undefined ? PRESETS[values.preset] : undefined;
  if (values.preset !== undefined && !preset) {
    throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}; got '${values.preset}'`);
  }
  const cost = choice('cost', values.cost, ['quadratic', 'cross-entropy', 'log-likelihood'] as const);
  const output = choice('output', values.output, ['sigmoid', 'softmax'] as const);
  const lambda = values.lambda !== undefined ? nonNegativeOption('lambda', values.lambda) : undefined;
  const momentum = values.momentum !== undefined ? nonNegativeOption('momentum', values.momentum) : undefined;
  if (momentum !== undefined && momentum >= 1) throw new UsageError(`--momentum must be less than 1 (the velocity would grow without end); got '${values.momentum}'`);
  const dropout = values.dropout !== undefined ? nonNegativeOption('dropout', values.dropout) : undefined;
  if (dropout !== undefined && dropout >= 1) throw new UsageError(`--dropout must be less than 1 (1 drops every unit); got '${values.dropout}'`);
  const labelSmoothing = values['label-smoothing'] !== undefined ? nonNegativeOption('label-smoothing', values['label-smoothing']) : undefined;
  if (labelSmoothing !== undefined && labelSmoothing >= 1) {
    throw new UsageError(`--label-smoothing must be less than 1 (1 would leave no trace of the label); got '${values['label-smoothing']}'`);
  }
  const monitor = values.monitor !== undefined ? values.monitor.split(',').map((m) => m.trim()) : [];
  for (const m of monitor) {
    if (!['train-cost', 'train-acc', 'eval-cost', 'eval-acc'].includes(m)) {
      throw new UsageError(`--monitor takes train-cost, train-acc, eval-cost, eval-acc (comma-separated); got '${m}'`);
    }
  }
  return {
    preset,
    cost,
    output,
    activation: choice('activation', values.activation, ['sigmoid', 'tanh', 'relu'] as const),
    init: choice('init', values.init, ['large', 'default', 'network3', 'he'] as const),
    lambda,
    momentum,
    optimizer: choice('optimizer', values.optimizer, OPTIMIZER_NAMES),
    schedule: choice('schedule', values.schedule, LR_SCHEDULES),
    batchNorm: values['batch-norm'] ?? false,
    dropout,
    labelSmoothing,
    expand: values.expand ?? false,
    augment: values.augment ?? false,
    cleanEpochs: values['clean-epochs'] !== undefined ? intOption('clean-epochs', values['clean-epochs'], 0, MAX_EPOCHS - 1) : undefined,
    cleanEta: values['clean-eta'] !== undefined ? positiveOption('clean-eta', values['clean-eta']) : undefined,
    redrawn: values.redrawn ?? false,
    traceScale: values['trace-scale'] !== undefined ? intOption('trace-scale', values['trace-scale'], 1, 8) : undefined,
    outlineBlobs: values['outline-blobs'] ?? false,
    etaSchedule: values['eta-schedule'] !== undefined ? intOption('eta-schedule', values['eta-schedule'], 1, MAX_EPOCHS) : undefined,
    earlyStop: values['early-stop'] !== undefined ? intOption('early-stop', values['early-stop'], 1, MAX_EPOCHS) : undefined,
    monitor,
    backend: backend as 'auto' | 'ts' | 'wasm',
    threads: values.threads === undefined || values.threads === 'auto' ? ('auto' as const) : intOption('threads', values.threads, 1, MAX_THREADS),
    sizes: sizes ?? (hidden ? [MNIST_PIXELS, ...hidden, MNIST_CLASSES] : undefined),
    layers: values.layers,
    epochs: values.epochs !== undefined ? intOption('epochs', values.epochs, 1, MAX_EPOCHS) : undefined,
    batchSize: values['batch-size'] !== undefined ? intOption('batch-size', values['batch-size'], 1, MAX_BATCH) : undefined,
    eta: values.eta !== undefined ? positiveOption('eta', values.eta) : undefined,
    seed: values.seed !== undefined ? seedOption(values.seed) : undefined,
    noShuffle: values['no-shuffle'] ?? false,
    trainSize: values['train-size'] !== undefined ? intOption('train-size', values['train-size'], 1, 10_000_000) : undefined,
    evalSet: evalSet as 'test' | 'validation' | undefined,
    out: values.out,
    resume: values.resume,
    dataDir: values['data-dir'],
    dataset: datasetOption(values.dataset),
    debugShapes: values['debug-shapes'] ?? process.env.DIGITNET_DEBUG?.split(',').includes('shapes') ?? false,
    quiet: values.quiet ?? false,
    force: values.force ?? false,
    help: values.help ?? false,
  };
}

function nonNegativeOption(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number ≥ 0; got '${value}'`);
  return n;
}

export const COSTS = { quadratic: QuadraticCost, 'cross-entropy': CrossEntropyCost, 'log-likelihood': LogLikelihoodCost } as const;

function seedOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError(`--seed must be an integer from 0 to 4294967295; got '${value}'`);
  }
  return n;
}

export interface NameSettings {
  layers: boolean;
  preset: FcPreset | undefined;
  stackPreset: StackPreset | undefined;
  cost: string;
  activation: string;
  init: string;
  eta: number;
  lambda: number;
  momentum: number;
  optimizer: OptimizerName;
  schedule: LrSchedule;
  dropout: number;
  labelSmoothing?: number;
  miniBatchSize: number;
  epochs: number;
  trainSize: number | undefined;
  expand: boolean;
  augment: boolean;
  cleanEpochs?: number;
  cleanEta?: number;
  redrawn?: boolean;
  traceScale?: number;
  outlineBlobs?: boolean;
  evalSet: string;
  shuffle: boolean;
  dataset: string;
}

/**
 * The settings that differ from the preset's (or chapter 1's), as parts of the
 * default file name, so that runs with other settings never share a file:
 * e.g. 784-30-10-cross-entropy-eta0.5-seed1.json.
 */
export function settingsInName(r: NameSettings): string[] {
  const p = r.stackPreset ?? r.preset;
  const parts: string[] = [];
  const differs = <T>(value: T, base: T, part: string) => {
    if (value !== base) parts.push(part);
  };
  if (r.dataset !== 'mnist') parts.push(r.dataset);
  if (!r.layers) {
    differs(r.cost, r.preset?.cost ?? 'quadratic', r.cost);
    differs(r.activation, r.preset?.activation ?? 'sigmoid', r.activation);
  }
  differs(r.init, r.layers ? r.stackPreset?.stackInit ?? 'default' : r.preset?.init ?? 'large', `init-${r.init}`);
  differs(r.eta, p?.eta ?? DEFAULTS.eta, `eta${r.eta}`);
  differs(r.lambda, p?.lambda ?? 0, `lambda${r.lambda}`);
  differs(r.momentum, 0, `mu${r.momentum}`);
  differs(r.optimizer, r.stackPreset?.optimizer ?? (r.momentum ? 'momentum' : 'sgd'), r.optimizer);
  differs(r.schedule, r.stackPreset?.schedule ?? 'constant', r.schedule);
  differs(r.dropout, 0, `dropout${r.dropout}`);
  differs(r.labelSmoothing ?? 0, r.stackPreset?.labelSmoothing ?? 0, `smooth${r.labelSmoothing ?? 0}`);
  differs(r.miniBatchSize, p?.miniBatchSize ?? DEFAULTS.batchSize, `mb${r.miniBatchSize}`);
  differs(r.epochs, p?.epochs ?? DEFAULTS.epochs, `epochs${r.epochs}`);
  if (r.trainSize !== undefined) differs(r.trainSize, r.preset?.trainSize, `train${r.trainSize}`);
  differs(r.expand, r.stackPreset?.expand ?? false, 'expanded');
  differs(r.augment, r.stackPreset?.augment ?? false, 'augmented');
  differs(r.cleanEpochs ?? 0, r.stackPreset?.cleanEpochs ?? 0, `clean${r.cleanEpochs ?? 0}`);
  if (r.cleanEpochs) differs(r.cleanEta, r.stackPreset?.cleanEta ?? r.eta / 4, `cleaneta${r.cleanEta}`);
  differs(r.redrawn ?? false, false, 'redrawn');
  differs(r.traceScale ?? 1, 1, `trace${r.traceScale}`);
  differs(r.outlineBlobs ?? false, false, 'outlined');
  differs(r.evalSet, p?.evalSet ?? DEFAULTS.evalSet, r.evalSet);
  differs(r.shuffle, true, 'no-shuffle');
  return parts;
}

/** What parseTrainOptions makes of a command line. */
export type TrainOptions = ReturnType<typeof parseTrainOptions>;

/** The run's settings, each from the command line, else the resumed run, else the preset, else chapter 1's default; and the checks between them. */
export function resolveSettings(args: TrainOptions, loaded: LoadedModel | null) {
  let resumed: { network: Network; meta: TrainingMeta | null } | null = null;
  let resumedStack: { network: LayerStack; meta: TrainingMeta | null } | null = null;
  if (loaded) {
    if (!(loaded.network instanceof Network)) {
      resumedStack = { network: loaded.network, meta: loaded.meta };
      if (args.sizes) throw new UsageError(`--sizes does not go with ${args.resume}, a layer stack (${loaded.network.spec})`);
      if (args.layers && new LayerStack(args.layers).spec !== loaded.network.spec) {
        throw new UsageError(`--layers does not match ${args.resume}: ${loaded.network.spec}`);
      }
    } else {
      resumed = { network: loaded.network, meta: loaded.meta };
      const fileSizes = resumed.network.sizes;
      if (args.sizes && args.sizes.join() !== fileSizes.join()) {
        throw new UsageError(`--sizes ${args.sizes.join(',')} does not match ${args.resume}, a ${fileSizes.join('-')} network`);
      }
      if (args.layers) throw new UsageError(`--layers does not go with ${args.resume}, a ${fileSizes.join('-')} network`);
    }
  }
  const meta = resumed?.meta ?? resumedStack?.meta ?? null;
  // each setting: the command line, else the resumed run, else the preset, else the chapter-1 default
  const anyPreset = args.preset ?? (meta?.preset !== undefined ? PRESETS[meta.preset] : undefined); // a resumed preset run still prints the book's figure
  const stackPreset = isStackPreset(anyPreset) ? anyPreset : undefined;
  const preset = isStackPreset(anyPreset) ? undefined : anyPreset;
  // a layer stack (chapter 6) or the fully-connected network (chapters 1–3)
  let layers = resumedStack?.network.spec ?? args.layers ?? (resumed || args.sizes ? undefined : stackPreset?.layers);
  if (args.batchNorm && (resumed || resumedStack)) throw new UsageError(`--batch-norm changes the network; ${args.resume} keeps its layers (its description says whether it has bn layers)`);
  if (layers && (args.cost || args.output || args.activation || args.dropout !== undefined)) {
    throw new UsageError('--cost, --output, --activation and --dropout are for fully-connected networks; a layer stack says them in its layers');
  }
  if ((layers || args.batchNorm) && args.init === 'large') throw new UsageError("--init large is for fully-connected networks; a layer stack starts 'default', 'network3' or 'he'");
  if (!layers && !args.batchNorm && (args.init === 'network3' || args.init === 'he')) {
    throw new UsageError(`--init ${args.init} is for layer stacks (--layers); a fully-connected network starts 'large' or 'default'`);
  }
  const sizes = resumed ? [...resumed.network.sizes] : args.sizes ?? preset?.sizes ?? [MNIST_PIXELS, ...DEFAULTS.hidden, MNIST_CLASSES];
  // --epochs: the epochs before any clean ones (a file's meta.epochs counts both)
  const epochs = args.epochs ?? (meta ? meta.epochs - (meta.cleanEpochs ?? 0) : anyPreset?.epochs ?? DEFAULTS.epochs);
  const miniBatchSize = args.batchSize ?? meta?.miniBatchSize ?? anyPreset?.miniBatchSize ?? DEFAULTS.batchSize;
  const named = args.optimizer ?? meta?.optimizer ?? stackPreset?.optimizer;
  const adam = named === 'adam' || named === 'adamw';
  // Adam's own default η, unless the preset's η was chosen for the preset's rule
  const presetRule = stackPreset?.optimizer !== undefined && named === stackPreset.optimizer;
  const eta = args.eta ?? meta?.eta ?? (adam && !presetRule ? ADAM_ETA : anyPreset?.eta ?? DEFAULTS.eta);
  const seed = args.seed ?? meta?.seed ?? DEFAULTS.seed;
  const shuffle = args.noShuffle ? false : meta?.shuffle ?? true;
  const evalSet = args.evalSet ?? meta?.evaluatedOn ?? anyPreset?.evalSet ?? DEFAULTS.evalSet;
  const lambda = args.lambda ?? meta?.lambda ?? anyPreset?.lambda ?? 0;
  const momentum = args.momentum ?? meta?.momentum ?? (named === 'momentum' || named === 'nesterov' ? DEFAULT_MU : 0);
  if (adam && momentum) throw new UsageError(`--optimizer ${named} keeps its own averages of the gradient; it takes no --momentum`);
  if (named === 'nesterov' && !momentum) throw new UsageError('--optimizer nesterov needs a --momentum above 0');
  const optimizer: OptimizerName = named === 'sgd' || !named ? (momentum ? 'momentum' : 'sgd') : named;
  const schedule: LrSchedule = args.schedule ?? meta?.schedule ?? stackPreset?.schedule ?? 'constant';
  if (schedule !== 'constant' && args.etaSchedule) throw new UsageError(`--eta-schedule halves η by accuracy; it does not go with --schedule ${schedule}`);
  const dropout = args.dropout ?? meta?.dropout ?? 0;
  const labelSmoothing = args.labelSmoothing ?? meta?.labelSmoothing ?? (meta ? 0 : stackPreset?.labelSmoothing ?? 0);
  const expand = args.expand || (meta?.expand ?? stackPreset?.expand ?? false);
  const augment = args.augment || meta?.augment !== undefined || (!meta && (stackPreset?.augment ?? false));
  const redrawn = args.redrawn || (meta?.redrawn ?? false);
  if (args.traceScale !== undefined && !redrawn) throw new UsageError('--trace-scale says how --redrawn traces each training image; add --redrawn');
  const traceScale = redrawn ? args.traceScale ?? meta?.traceScale ?? 1 : 1;
  if (args.outlineBlobs && !redrawn) throw new UsageError('--outline-blobs says how --redrawn traces each training image; add --redrawn');
  const outlineBlobs = redrawn && (args.outlineBlobs || (meta?.outlineBlobs ?? false));
  const init = args.init ?? meta?.init ?? (layers || args.batchNorm ? stackPreset?.stackInit ?? 'default' : preset?.init ?? 'large');
  const cost: Cost = args.cost
    ? COSTS[args.cost]
    : resumed ? resumed.network.cost : preset ? COSTS[preset.cost] : args.output === 'softmax' ? LogLikelihoodCost : QuadraticCost;
  if (args.output && args.output !== cost.output) {
    throw new UsageError(
      cost.output === 'softmax'
        ? `--cost log-likelihood needs the softmax output layer, not --output ${args.output}`
        : `a softmax output layer needs --cost log-likelihood, not the ${cost.name}`,
    );
  }
  const activation = args.activation ? activations[args.activation] : resumed ? resumed.network.activation : activations[preset?.activation ?? 'sigmoid'];
  if (resumed && (cost !== resumed.network.cost || activation !== resumed.network.activation)) {
    throw new UsageError(`${args.resume} was trained with ${resumed.network.cost.name} and ${resumed.network.activation.name}; a resumed run keeps them`);
  }
  // --batch-norm: bn after every hidden layer; a fully-connected network becomes the layer stack it is, with its cost
  let stackCost: Cost | undefined = resumedStack?.network.cost;
  if (args.batchNorm) {
    layers = withBatchNorm(layers ? parseLayers(layers).layers : denseSpec(sizes, cost, activation.name));
    if (!args.layers && !stackPreset?.layers) stackCost = cost;
  }
  if (labelSmoothing > 0 && (layers ? parseLayers(layers).layers.at(-1)?.kind : cost.output) !== 'softmax') {
    throw new UsageError(`--label-smoothing smooths the targets of a softmax output layer; this network's output is a sigmoid (use ${layers ? '"softmax 10" as the last layer' : '--output softmax'})`);
  }
  // the clean epochs: after --epochs, on the images undistorted (nn/sgd.ts)
  const cleanEpochs = args.cleanEpochs ?? meta?.cleanEpochs ?? (meta ? 0 : stackPreset?.cleanEpochs ?? 0);
  if (args.cleanEta !== undefined && !cleanEpochs) throw new UsageError('--clean-eta sets η of the clean epochs; add --clean-epochs N');
  const cleanEta = args.cleanEta ?? meta?.cleanEta ?? (stackPreset?.cleanEpochs ? stackPreset.cleanEta : undefined) ?? eta / 4;
  if (cleanEpochs && !augment) {
    throw new UsageError(`--clean-epochs ${cleanEpochs}: the clean epochs follow distorted ones, and without --augment every epoch is on the images as they are; add --augment or drop --clean-epochs`);
  }
  const totalEpochs = epochs + cleanEpochs;
  if (totalEpochs > MAX_EPOCHS) throw new UsageError(`--epochs and --clean-epochs come to ${totalEpochs} epochs, more than ${MAX_EPOCHS}`);
  const epochsDone = meta?.epochsCompleted ?? 0;
  if (epochsDone >= totalEpochs) {
    throw new UsageError(`${args.resume} has finished ${epochsDone} of ${totalEpochs} epochs; pass --epochs N with N > ${epochsDone - cleanEpochs} to train more`);
  }
  return {
    resumed, resumedStack, meta, anyPreset, stackPreset, preset, layers, sizes, epochs, miniBatchSize, eta, seed, shuffle,
    evalSet, lambda, momentum, optimizer, schedule, dropout, labelSmoothing, expand, augment, cleanEpochs, cleanEta, totalEpochs, redrawn, traceScale, outlineBlobs, init, cost, activation, epochsDone, stackCost,
  };
}

/** A fully-connected network of `sizes` in the layer language (the output layer as the cost needs it). */
function denseSpec(sizes: readonly number[], cost: Cost, activation: ActivationName): LayerSpec[] {
  const layers: LayerSpec[] = sizes.slice(1, -1).map((units) => ({ kind: 'fc', units, activation }));
  layers.push({ kind: cost.output, units: sizes[sizes.length - 1] });
  return layers;
}

/** The description with a bn layer after every hidden conv or fc layer (before its pooling or dropout) that has none; bn layers given are kept as they are. */
export function withBatchNorm(layers: LayerSpec[]): string {
  const out: string[] = [];
  layers.forEach((l, i) => {
    out.push(l.kind === 'conv' ? `conv ${l.maps} ${l.size}x${l.size} ${l.activation}` : l.kind === 'fc' ? `fc ${l.units} ${l.activation}` : l.kind === 'pool' ? 'pool 2' : l.kind === 'dropout' ? `dropout ${l.p}` : l.kind === 'bn' ? (l.activation === 'linear' ? 'bn' : `bn ${l.activation}`) : `${l.kind} ${l.units}`);
    if ((l.kind === 'conv' || l.kind === 'fc') && layers[i + 1]?.kind !== 'bn') out.push('bn');
  });
  return out.join(', ');
}
