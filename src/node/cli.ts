// node/cli.ts: what every command-line script shares: option parsing
// helpers, and a main() wrapper that turns user mistakes into one clear line
// and an exit code (2 for bad usage, 1 for bad files or a failed run), while
// a real bug still shows its stack trace.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DATASETS, type Dataset } from '../data/datasets.js';
import { DataFileError } from '../data/idx.js';
import { ModelFileError } from '../nn/model-file.js';
import { NotAFileError } from './atomic.js';
import { setWasmPages } from '../backend.js';
import { SHARED_WASM_PAGES } from '../kernels/wasm.js';

/** A mistake in the command line: exit 2 with a hint to read --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A run that cannot go on for a reason the user can act on: exit 1, no stack trace. */
export class RunError extends Error {
  override name = 'RunError';
}

export async function runMain(command: string, main: () => Promise<void> | void): Promise<void> {
  // `npm run train | head` closes the pipe early: stop quietly, as Unix tools do
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  // Node reserves as much WebAssembly memory for one thread as for two (1 GiB; the page keeps 64 MiB)
  setWasmPages(SHARED_WASM_PAGES);
  try {
    await main();
  } catch (err) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      const message = err instanceof UsageError ? err.message : cleanParseArgsMessage((err as Error).message);
      process.stderr.write(`${command}: ${message}\nRun 'npm run ${command} -- --help' for the options.\n`);
      process.exitCode = 2;
    } else if (err instanceof DataFileError || err instanceof ModelFileError || err instanceof RunError || err instanceof NotAFileError) {
      process.stderr.write(`${command}: ${err.message}\n`);
      process.exitCode = 1;
    } else if (isFileSystemError(err)) {
      process.stderr.write(`${command}: ${err.path ? `${err.path}: ` : ''}${describeFsError(err)}\n`);
      process.exitCode = 1;
    } else {
      throw err;
    }
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Node's "Unknown option '--foo'. To specify a positional…" → "unknown option '--foo'". */
function cleanParseArgsMessage(message: string): string {
  const ambiguous = message.match(/^Option '(--[\w-]+)' argument is ambiguous/);
  if (ambiguous) {
    const name = ambiguous[1];
    return `${name} needs a value; for a value that starts with '-', write ${name}=VALUE`;
  }
  const missing = message.match(/^Option '(--[\w-]+)(?: <value>)?' argument missing/);
  if (missing) return `${missing[1]} needs a value, e.g. ${missing[1]} VALUE`;
  const first = message.split('. ')[0].replace(/\.$/, '');
  return first.charAt(0).toLowerCase() + first.slice(1);
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false; allowNegative: false }>>;

/**
 * util.parseArgs, strict, with one change: a value that looks like a negative
 * number (`--epochs -1`) is taken as the option's value rather than as an
 * unknown option, so its own check can say what range is valid.
 */
export function parseCommandLine<T extends Options>(argv: string[], options: T): Parsed<T> {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else {
      args.push(a);
    }
  }
  return parseArgs({ args, options, strict: true, allowPositionals: false, allowNegative: false });
}

interface FsError extends Error {
  code: string;
  path?: string;
}

function isFileSystemError(err: unknown): err is FsError {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && ['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ENOSPC', 'EROFS', 'EEXIST'].includes(code);
}

function describeFsError(err: FsError): string {
  switch (err.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, expected a file';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'ENOSPC': return 'the disk is full';
    case 'EROFS': return 'the file system is read-only';
    default: return err.message;
  }
}

/** An integer option value from min to max, or a UsageError naming the option and the range. */
export function intOption(name: string, value: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}; got '${value}'`);
  }
  return n;
}

/** A positive finite number option value. */
export function positiveOption(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${name} must be a positive number; got '${value}'`);
  }
  return n;
}

/** "784,30,10" → [784, 30, 10]. */
export function listOption(name: string, value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const list = parts.map(Number);
  if (parts.some((p) => p === '') || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError(`--${name} must be positive integers separated by commas, e.g. 784,30,10; got '${value}'`);
  }
  return list;
}

/**
 * A check that ends this process when the one that started it is gone, when
 * that is npm (`npm run train`): a killed `npm run` must not leave a run
 * training on unseen. Training keeps the event loop busy, so the run calls
 * the check itself (after each mini-batch; it looks at most once a second).
 * It exits through process.exit, so the run's exit handlers release its files.
 */
export function parentWatch(command: string, everyMs = 1000): () => void {
  if (!process.env.npm_lifecycle_event) return () => {}; // started by hand or by a script: its parent may leave on purpose
  const parent = process.ppid;
  let next = performance.now() + everyMs;
  return () => {
    const now = performance.now();
    if (now < next) return;
    next = now + everyMs;
    if (process.ppid === parent) return;
    process.stderr.write(`\n${command}: npm, which started this run, is gone; stopping (the last saved epoch is kept)\n`);
    process.exit(143);
  };
}

/** --dataset: 'mnist' (the default) or 'fashion'. */
export function datasetOption(value: string | undefined): Dataset {
  const name = value ?? 'mnist';
  const dataset = DATASETS[name];
  if (!dataset) throw new UsageError(`--dataset must be ${Object.keys(DATASETS).map((k) => `'${k}'`).join(' or ')}; got '${name}'`);
  return dataset;
}
