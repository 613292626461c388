/**
 * The command line of `portcullis`, read with `node:util`'s `parseArgs`: one command and five
 * flags need no CLI library, and a library would be one more runtime dependency for every app
 * that only uses the middlewares.
 */

import { parseArgs } from 'node:util';

export const USAGE = `usage: portcullis serve <document.yaml|json> [options]

Runs an OpenAPI document with API Gateway's extensions as a standalone gateway.

options:
  --port <n>         port to listen on, 0 for any free one (default 3000)
  --host <address>   address to listen on (default 127.0.0.1)
  --config <file>    ES module or CommonJS file exporting gateway.openapi() options
                     (lambdas, authorizers, usagePlans, stages, ...), or a function
                     returning them; default export or module.exports
  --framework <name> koa or express (default: koa when installed, else express)
  -h, --help         this help
`;

export type FrameworkChoice = 'koa' | 'express';

export type Command =
  | { readonly command: 'help' }
  | {
      readonly command: 'serve';
      readonly document: string;
      readonly port: number;
      readonly host: string;
      readonly config: string | undefined;
      readonly framework: FrameworkChoice | undefined;
    };

/** A command line that cannot run: printed as one line, with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Reads `argv` (without node and the script); throws a `UsageError` saying what is wrong. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [command, document, ...rest] = positionals;
  if (command === undefined)
    throw new UsageError('a command is required: portcullis serve <document>');
  if (command !== 'serve')
    throw new UsageError(`unknown command "${command}"; the command is serve`);
  if (document === undefined)
    throw new UsageError('serve needs a document: portcullis serve api.yaml');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return {
    command: 'serve',
    document,
    port: portOf(values.port),
    host: values.host,
    config: values.config,
    framework: frameworkOf(values.framework),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      framework: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function portOf(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    throw new UsageError(`--port must be a whole number from 0 to 65535, not "${text}"`);
  return port;
}

function frameworkOf(text: string | undefined): FrameworkChoice | undefined {
  if (text === undefined || text === 'koa' || text === 'express') return text;
  throw new UsageError(`--framework must be koa or express, not "${text}"`);
}
