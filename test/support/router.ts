/** Mounting a middleware as a parameterised route: an Express route, or an @koa/router route. */

import KoaRouter from '@koa/router';
import type { GatewayMiddleware } from '../../src/index.js';
import type { AppSetup, Framework, TestApp } from './frameworks.js';

/**
 * Starts an app where `middleware` answers `method path` (a router path such as `/pets/:id`), after
 * the middlewares of `setup.use`: so that the router's route template and parameters are known.
 */
export function startWithRoute(
  framework: Framework,
  method: string,
  path: string,
  middleware: GatewayMiddleware,
  setup: AppSetup = {},
): Promise<TestApp> {
  if (framework.kind === 'express')
    return framework.start({
      ...setup,
      routes: [...(setup.routes ?? []), { method, path, express: middleware }],
    });
  const router = new KoaRouter();
  router.register(path, [method.toUpperCase()], middleware as never);
  return framework.start({ ...setup, use: [...(setup.use ?? []), { koa: router.routes() }] });
}
