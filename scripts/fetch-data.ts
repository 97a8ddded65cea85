// scripts/fetch-data.ts: `npm run fetch-data`: downloads a dataset's four
// IDX files into the cache, data/<dataset>/, verifying each one's SHA-256
// before it lands there. Later runs of `npm run train` use the cache.

import { ensureDataset } from '../src/node/cache.js';
import { datasetOption, UsageError, parseCommandLine, positiveOption, runMain } from '../src/node/cli.js';
import { DownloadProgress } from '../src/node/progress.js';

const USAGE = `Usage: npm run fetch-data -- [options]

Downloads MNIST (or Fashion-MNIST) into data/<dataset>/, checking each file's
SHA-256; mirrors are tried in order. Files already there and intact are kept.

  --dataset mnist    'mnist' or 'fashion'
  --mirror URL       a base URL serving the .gz files (repeat to give several;
                     replaces the built-in mirrors)
  --force            download again even what is cached
  --deadline S       the most seconds one file's download may take (default: a
                     mirror slower than 16 KiB/s is left for the next one; give
                     a deadline on a slow connection, and speed is not checked)
  --help             this text

A mirror is left for the next one when it stalls for 30 s (after 3 tries), is
too slow, sends more bytes than the file has, or serves a file whose SHA-256
does not match; nothing unverified is kept.
`;

export function mirrorOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--mirror must be an http(s) URL such as http://127.0.0.1:8000/mnist/; got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--mirror must be an http(s) URL; got '${value}'`);
  }
  return url.href;
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
      dataset: { type: 'string' },
      mirror: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      deadline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const dataset = datasetOption(values.dataset);
  const mirrors = values.mirror?.map(mirrorOption);
  const deadline = values.deadline !== undefined ? positiveOption('deadline', values.deadline) : undefined;
  const progress = new DownloadProgress(process.stderr);
  const lines: string[] = [];
  const dir = await ensureDataset(dataset, {
    mirrors,
    force: values.force ?? false,
    ...(deadline !== undefined ? { deadlineMs: deadline * 1000, minBytesPerSecond: 0 } : {}),
    onProgress: (p) => progress.update(p),
    onFile: (key, how, where) => {
      progress.clear();
      const name = dataset.files[key].name;
      const line = how === 'cached' ? `${name}: already in the cache, intact` : `${name}: downloaded from ${where}, SHA-256 verified`;
      lines.push(line);
      process.stdout.write(`${line}\n`);
    },
  });
  process.stdout.write(`${dataset.title}: the four files are in ${dir}/; npm run train${dataset.name === 'mnist' ? '' : ` -- --dataset ${dataset.name}`} uses them\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) void runMain('fetch-data', main);
