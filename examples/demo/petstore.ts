/**
 * The OpenAPI example (`examples/openapi/petstore.yaml` with its options) mounted in the demo:
 * a whole API from one API Gateway export, its stages under `/dev` and `/prod`.
 */

import type { Server } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gateway, type OpenApiOptions } from '../../src/index.js';

const DOCUMENT = fileURLToPath(new URL('../openapi/petstore.yaml', import.meta.url));
const OPTIONS = fileURLToPath(new URL('../openapi/options.mjs', import.meta.url));

/** What `options.mjs` exports (a plain ES module, as `portcullis serve --config` reads it). */
interface PetstoreOptions {
  default: OpenApiOptions;
  DEMO_KEY: string;
  backend: Server;
}

/** The petstore's API key, printed in the demo's curl lines. */
export let PETSTORE_KEY = '';

/** The document as one middleware, and what closes its upstream connections and pet service. */
export async function petstoreApi() {
  const options = (await import(pathToFileURL(OPTIONS).href)) as PetstoreOptions;
  PETSTORE_KEY = options.DEMO_KEY;
  const api = gateway.openapi(DOCUMENT, { ...options.default, onUnsupported: () => {} });
  return { api, close: () => api.close() };
}
