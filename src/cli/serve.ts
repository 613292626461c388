/** `portcullis serve`: a document, its options and a framework, listening on one address. */

import type { AddressInfo } from 'node:net';
import { loadOpenApiDocument } from '../middleware/openapi/document.js';
import { openapi, type UnsupportedReport } from '../middleware/openapi/index.js';
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
  // A standalone gateway has no app behind it: what the document does not define is refused as
  // API Gateway refuses it (403 Missing Authentication Token), unless the config says otherwise.
  const middleware = openapi(command.document, {
    unmatched: 'refuse',
    onUnsupported: (report) => printUnsupported(report),
    ...options,
  });
  // Checked by openapi() just above: read again only to list what it serves.
  const { document } = loadOpenApiDocument(command.document);
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

/** The parts of the document not run as written, once each (a place repeats per stage), on stderr. */
function printUnsupported(report: UnsupportedReport): void {
  const lines = new Set(report.items.map((item) => `  ${item.pointer}: ${item.message}\n`));
  process.stderr.write(
    `portcullis: ${report.source}: not supported, not run as written:\n${[...lines].join('')}`,
  );
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
