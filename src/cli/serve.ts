/** `portcullis serve`: a document, its options and a framework, listening on one address. */

import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { openapi, type UnsupportedItem } from '../middleware/openapi/index.js';
import type { Command } from './args.js';
import { loadConfig } from './config.js';
import { type Importer, mountInFramework } from './framework.js';

type ServeCommand = Extract<Command, { command: 'serve' }>;

/** A gateway serving a document, until `close()`. */
export interface RunningGateway {
  /** `http://127.0.0.1:3000` */
  readonly url: string;
  /** `'Koa'` or `'Express'`. */
  readonly framework: string;
  /** Every operation of the document, in its order, under each stage. */
  readonly routes: readonly Route[];
  close(): Promise<void>;
}

/** One operation as served: `{ method: 'GET', path: '/prod/pets/{id}' }`; `ANY` for any method. */
export interface Route {
  readonly method: string;
  readonly path: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ANY_METHOD = 'x-amazon-apigateway-any-method';

/** Starts the gateway the command describes; throws a message-worthy error when it cannot. */
export async function startGateway(
  command: ServeCommand,
  importer?: Importer,
): Promise<RunningGateway> {
  const options = command.config === undefined ? {} : await loadConfig(command.config);
  const document = await loadDocument(command.document);
  // A standalone gateway has no app behind it: what the document does not define is refused as
  // API Gateway refuses it (403 Missing Authentication Token), unless the config says otherwise.
  const middleware = documentErrorsNamed(command.document, () =>
    openapi(document, {
      unmatched: 'refuse',
      onUnsupported: (report) => printUnsupported(command.document, report.items),
      ...options,
    }),
  );
  const { name, server } = await mountInFramework(middleware, command.framework, importer);
  await listen(server, command.port, command.host);
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    url,
    framework: name,
    routes: routesOf(document, options.stages),
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      middleware.close();
    },
  };
}

/** The document as an object, from a YAML or JSON file (YAML 1.2 reads JSON as it is). */
async function loadDocument(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    // The first line says what and where (line, column); the rest is a drawing of the place.
    const [what] = (error as Error).message.split('\n', 1);
    throw new Error(`${file} is neither JSON nor YAML: ${what}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new Error(`${file}: the document must be an object`);
  return document as Record<string, unknown>;
}

/** The parts of the document not run as written, once each, on stderr (the default report names no file). */
function printUnsupported(file: string, items: readonly UnsupportedItem[]): void {
  const lines = new Set(items.map((item) => `  ${item.pointer}: ${item.message}\n`));
  process.stderr.write(
    `portcullis: ${file}: not supported, not run as written:\n${[...lines].join('')}`,
  );
}

/** Runs `build`, naming `file` in its errors where the document was given as an object. */
function documentErrorsNamed<T>(file: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    const message = (error as Error).message.replace(/^portcullis\.openapi: (<object>: )?/, '');
    throw new Error(`${file}: ${message}`, { cause: error });
  }
}

function listen(server: import('node:http').Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Every operation of the document, under each stage (or at the root). */
export function routesOf(document: Record<string, unknown>, stages: unknown): Route[] {
  const prefixes =
    typeof stages === 'object' && stages !== null
      ? Object.keys(stages).map((stage) => `/${stage}`)
      : [''];
  const paths = document.paths;
  if (typeof paths !== 'object' || paths === null) return [];
  const routes: Route[] = [];
  for (const prefix of prefixes) {
    for (const [path, item] of Object.entries(paths)) {
      if (typeof item !== 'object' || item === null) continue;
      for (const key of Object.keys(item)) {
        const method = key === ANY_METHOD ? 'ANY' : METHODS.includes(key) ? key.toUpperCase() : '';
        if (method !== '') routes.push({ method, path: `${prefix}${path}` });
      }
    }
  }
  return routes;
}
