import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'src/express.ts',
    koa: 'src/koa.ts',
    redis: 'src/redis.ts',
    'rate-limiter-flexible': 'src/rate-limiter-flexible.ts',
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // `import.meta.url` in the CJS build (metrics() resolves its optional peer from there).
  shims: true,
});
