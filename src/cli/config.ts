/** `--config`: the `gateway.openapi()` options, from an ES module or a CommonJS file. */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The options `file` exports: its default export (`module.exports` of a CommonJS file), else its
 * named exports; a function there is called (and awaited) for them, so that a config can start
 * what it needs first (a local backend, keys read from elsewhere).
 */
export async function loadConfig(file: string): Promise<Record<string, unknown>> {
  let options: unknown;
  try {
    const module = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
    const exported = 'default' in module ? module.default : { ...module };
    options = typeof exported === 'function' ? await exported() : exported;
    // Read once, here: an option's getter that throws is the file's error, named as such.
    if (typeof options === 'object' && options !== null && !Array.isArray(options))
      return { ...options };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`--config ${file}: ${message}`, { cause: error });
  }
  throw new Error(`--config ${file}: must export the options object (or a function returning it)`);
}
