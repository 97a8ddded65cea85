// scripts/plot.ts: `npm run plot -- RUN...`: the curves of several training
// runs in one SVG chart, the way the book compares settings. A RUN is a
// model file saved by `npm run train` or the .metrics.json beside it.

import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/node/atomic.js';
import { RunError, runMain, UsageError } from '../src/node/cli.js';
import { chartSvg, type Run } from '../src/plot/chart.js';

const USAGE = `Usage: npm run plot -- RUN... [--out FILE] [--title TEXT]

Draws the accuracy and cost curves of the runs (model files from npm run
train, or their .metrics.json files) in one SVG chart.

  --out FILE     where to write it (default data/plots/<runs>.svg)
  --title TEXT   the chart's title
  --help         this text
`;

function readRun(arg: string): Run {
  const path = arg.endsWith('.metrics.json') ? arg : arg.replace(/\.json$/, '') + '.metrics.json';
  if (!existsSync(path)) throw new RunError(`${path}: no such file; give a model file saved by npm run train, or its .metrics.json`);
  let doc: { run?: unknown; epochs?: unknown };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RunError(`${path}: not a metrics file (${(err as Error).message})`);
  }
  if (!Array.isArray(doc.epochs)) throw new RunError(`${path}: not a metrics file (no "epochs" list)`);
  return { label: typeof doc.run === 'string' ? doc.run : basename(path, '.metrics.json'), epochs: doc.epochs };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: true,
    options: { out: { type: 'string' }, title: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals.length === 0) throw new UsageError('name at least one run: a model file from npm run train, or its .metrics.json');
  const runs = positionals.map(readRun);
  const out = values.out ?? `data/plots/${runs.map((r) => r.label.replace(/[^\w.-]+/g, '_')).join('+')}.svg`;
  writeFileAtomic(out, chartSvg(runs, values.title ?? runs.map((r) => r.label).join(' vs ')));
  process.stdout.write(`wrote ${out}: ${runs.length} run${runs.length === 1 ? '' : 's'}, open it in a browser\n`);
}

void runMain('plot', main);
