/**
 * The web framework `portcullis serve` mounts the gateway in: Koa when installed, else Express.
 * Both are optional peers of portcullis, so the one found is loaded from the app's install.
 * Koa comes first: it adds nothing of its own to responses (Express sends `X-Powered-By`, turned
 * off here), and its app is only the middleware chain the gateway needs.
 */

import { createServer, type RequestListener, type Server } from 'node:http';
import type { FrameworkChoice } from './args.js';

/** An app with the gateway mounted, ready to listen. */
export interface MountedApp {
  readonly name: 'Koa' | 'Express';
  readonly server: Server;
}

/** Loads a package by name; Node's dynamic `import()` unless a test says otherwise. */
export type Importer = (name: string) => Promise<{ default?: unknown }>;

const nodeImport: Importer = (name) => import(name);

/** The error when neither framework is installed (or the one asked for is not). */
export class FrameworkMissingError extends Error {
  override readonly name = 'FrameworkMissingError';
}

/**
 * Builds a server for `middleware` in the chosen framework, or the first installed of Koa and
 * Express. Throws a `FrameworkMissingError` naming the install command when none is there.
 */
export async function mountInFramework(
  middleware: unknown,
  choice: FrameworkChoice | undefined,
  importer: Importer = nodeImport,
): Promise<MountedApp> {
  for (const name of choice === undefined ? (['koa', 'express'] as const) : [choice]) {
    const loaded = await importIfInstalled(importer, name);
    if (loaded === undefined) continue;
    return name === 'koa' ? mountInKoa(loaded, middleware) : mountInExpress(loaded, middleware);
  }
  throw new FrameworkMissingError(
    choice === undefined
      ? 'serve needs Koa or Express, and neither is installed: npm install koa'
      : `--framework ${choice}: the "${choice}" package is not installed: npm install ${choice}`,
  );
}

/** The package's default export, or undefined when the package itself is not installed. */
async function importIfInstalled(importer: Importer, name: string): Promise<unknown> {
  try {
    const module = await importer(name);
    return module.default ?? module;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Only the package itself missing: a broken install of it is an error worth seeing.
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    if (missing && String((error as Error).message).includes(`'${name}'`)) return undefined;
    throw error;
  }
}

type KoaClass = new () => {
  use(mw: unknown): unknown;
  callback(): RequestListener;
  silent?: boolean;
};

function mountInKoa(Koa: unknown, middleware: unknown): MountedApp {
  const app = new (Koa as KoaClass)();
  app.use(middleware);
  return { name: 'Koa', server: createServer(app.callback()) };
}

type ExpressFactory = () => RequestListener & {
  use(mw: unknown): unknown;
  disable(setting: string): unknown;
};

function mountInExpress(express: unknown, middleware: unknown): MountedApp {
  const app = (express as ExpressFactory)();
  app.disable('x-powered-by');
  app.use(middleware);
  return { name: 'Express', server: createServer(app) };
}
