// scripts/start.ts: `npm start`: builds the page and serves it, with the
// models and MNIST, on http://127.0.0.1:8080 (loopback unless --host says
// otherwise). Offline: everything comes from this machine.

import { buildWeb, WEB_OUT } from './build-web.js';
import { startPageServer } from './page-server.js';
import { RunError, UsageError, intOption, parseCommandLine, runMain } from '../src/node/cli.js';
import { checkHost, ListenError, PortInUseError } from '../src/node/static-server.js';

const USAGE = `Usage: npm start -- [options]

Builds the page and serves it with the models in data/models/ (newest first)
and the default model in web/models/.

  --port 8080        the port
  --host 127.0.0.1   the address to listen on (loopback unless you choose otherwise)
  --help             this text
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = values.port !== undefined ? intOption('port', values.port, 0, 65535) : 8080;
  const host = values.host ?? '127.0.0.1';
  const badHost = checkHost(host);
  if (badHost) throw new UsageError(`--host ${badHost}; got '${host}'`);
  // listen first (a wrong --host or a busy port is said at once), then build what it serves
  let server;
  try {
    server = await startPageServer({ web: WEB_OUT, port, host });
  } catch (err) {
    if (err instanceof PortInUseError) throw new RunError(err.message);
    if (err instanceof ListenError) throw new UsageError(err.message);
    throw err;
  }
  await buildWeb(WEB_OUT);
  process.stdout.write(`digitnet: the page is at ${server.url} (Ctrl-C to stop)\n`);
}

void runMain('start', main);
