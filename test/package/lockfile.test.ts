/**
 * `npm ci` refuses a lockfile that lacks any optional dependency it declares, on every platform:
 * a lockfile regenerated on one machine without the other platforms' builds of biome, rollup or
 * esbuild installs here and fails on a fresh clone elsewhere (and in CI, which has no fallback).
 * This checks both lockfiles the project installs from.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** Every optional dependency that no `node_modules/...` entry of the lockfile provides. */
function missingOptionalPackages(lockfilePath: string): string[] {
  const lock = JSON.parse(readFileSync(lockfilePath, 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const missing: string[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      // npm resolves a dependency from the nearest node_modules up the tree (Node's rule).
      const candidates: string[] = [];
      let base = location;
      for (;;) {
        candidates.push(base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`);
        if (base === '') break;
        const cut = base.lastIndexOf('/node_modules/');
        base = cut === -1 ? '' : base.slice(0, cut);
      }
      if (!candidates.some((candidate) => candidate in lock.packages)) {
        missing.push(`${location || '(root)'} -> ${name}`);
      }
    }
  }
  return missing;
}

describe('the lockfiles', () => {
  it.each(['package-lock.json', 'bench/package-lock.json'])(
    '%s holds every platform build of every optional dependency (npm ci needs them)',
    (path) => {
      expect(missingOptionalPackages(path)).toEqual([]);
    },
  );
});
