#!/usr/bin/env node
/** `npx portcullis serve api.yaml [--port 3000] [--config options.js]`: an API document served standalone. */

import { parseCommandLine, USAGE, UsageError } from './cli/args.js';
import { type RunningGateway, startGateway } from './cli/serve.js';

/**
 * An error as one line, what went wrong and where: `portcullis: api.yaml: /paths/~1pets: ...`
 * (the library's own `portcullis.openapi:` prefix says nothing more here).
 */
const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error))
    .replace(/^portcullis\.openapi: /, '')
    .replace(/\s*\n\s*/g, '; ');

async function main(argv: readonly string[]): Promise<void> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`portcullis: ${oneLine(error)} (portcullis --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (command.command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(command);
  } catch (error) {
    process.stderr.write(`portcullis: ${oneLine(error)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `portcullis: ${command.document} on ${gateway.framework}, listening at ${gateway.url}\n` +
      gateway.routes
        .map((route) => `  ${route.method.padEnd(7)} ${gateway.url}${route.path}\n`)
        .join(''),
  );
  stopOnSignals(gateway);
}

/** SIGINT (Ctrl-C) and SIGTERM close the server and its upstream connections, then exit 0. */
function stopOnSignals(gateway: RunningGateway): void {
  const stop = (signal: NodeJS.Signals) => {
    process.stdout.write(`portcullis: ${signal}, closing\n`);
    // Whatever a config started and left running (a local backend) does not hold the exit up.
    setTimeout(() => process.exit(0), 1000).unref();
    gateway.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`portcullis: ${oneLine(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`portcullis: ${oneLine(error)}\n`);
  process.exitCode = 1;
});
