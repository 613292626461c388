/**
 * Loads prom-client from the app's own install, the first time `metrics()` is called: prom-client
 * is an optional peer, so apps that use other middlewares never load it (nor need it).
 */

import { createRequire } from 'node:module';

/** The part of prom-client that `metrics()` uses. */
export type PromClient = typeof import('prom-client');

let loaded: PromClient | undefined;

/** prom-client, or an error naming the missing package and how to install it. */
export function loadPromClient(): PromClient {
  if (loaded !== undefined) return loaded;
  // prom-client is CommonJS only: `require` serves the ESM and the CJS build alike (the CJS build
  // gets `import.meta.url` from tsup's shims).
  const require = createRequire(import.meta.url);
  try {
    loaded = require('prom-client') as PromClient;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(
      'portcullis.metrics: the "prom-client" package is not installed; it is an optional peer dependency of portcullis: npm install prom-client',
      { cause: err },
    );
  }
  return loaded;
}
