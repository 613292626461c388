/** Runs the memory measurements, each in a fresh process with `--expose-gc`, and collects their lines. */

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from './servers.mjs';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'memory');

function child(file, args) {
  const argv = pinned(1, [process.execPath, '--expose-gc', path.join(DIR, file), ...args]);
  return new Promise((resolve, reject) => {
    execFile(
      argv[0],
      argv.slice(1),
      { maxBuffer: 1024 * 1024, timeout: 300_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file}: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()));
      },
    );
  });
}

/** `{ items: string[], throttle?, cache? }`, `{ skipped }` when neither feature exists, or `error`. */
export async function runMemoryReport({ features, quick, log }) {
  const args = quick ? ['--quick'] : [];
  const out = { items: [] };
  try {
    if (features.has('throttle')) {
      log('memory: throttle clients');
      out.throttle = await child('throttle.mjs', [...args, '--slow']);
      out.throttleIdle = await child('throttle.mjs', args);
      out.items.push(out.throttle.summary, out.throttleIdle.summary);
    } else out.items.push('Throttle: skipped, `gateway.throttle` does not exist yet.');
    if (features.has('cache')) {
      log('memory: cache at maxSize');
      // One process per entry size: a fill's garbage must not be collected in the other's window.
      const small = await child('cache.mjs', [...args, '--entries=small']);
      const large = await child('cache.mjs', [...args, '--entries=large']);
      out.cache = {
        results: [...small.results, ...large.results],
        summary: [...small.summary, ...large.summary],
      };
      out.items.push(...out.cache.summary);
    } else out.items.push('Cache: skipped, `gateway.cache` does not exist yet.');
  } catch (err) {
    out.error = err.message;
  }
  return out;
}
