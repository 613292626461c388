import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/lib/**/*.test.mjs'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two shared cores: more workers only adds contention.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
