/** Builds each piece of `pipeline()` from its options, or takes it already built. */

import type { CoreHandler } from '../../core/exchange.js';
import { coreHandlerOf, type GatewayMiddleware } from '../../core/middleware.js';
import {
  assertBoolean,
  assertKnownOptions,
  assertOptionsObject,
  optionTypeError,
} from '../../core/validate.js';
import { authorizer } from '../authorizer/index.js';
import { cache } from '../cache/index.js';
import { clientCert } from '../client-cert/index.js';
import { cors } from '../cors/index.js';
import { ipFilter } from '../ip-filter/index.js';
import { jwt } from '../jwt/index.js';
import { lambda } from '../lambda/index.js';
import { proxy } from '../proxy/index.js';
import { resourcePolicy } from '../resource-policy/index.js';
import { throttle } from '../throttle/index.js';
import { usagePlans } from '../usage-plans/index.js';
import {
  PIPELINE_DEFAULTS,
  PIPELINE_ORDER,
  type PieceName,
  type PipelineOptions,
} from './options.js';

/** A built piece: the middleware (for its management methods) and the core handler it wraps. */
export interface Piece {
  readonly name: PieceName;
  readonly middleware: GatewayMiddleware;
  readonly handler: CoreHandler;
}

// biome-ignore lint/suspicious/noExplicitAny: each factory checks its own options.
type Factory = (value: any) => GatewayMiddleware;

/** How each piece is built from its option value. */
const FACTORIES: Record<PieceName, Factory> = {
  cors: (value) => cors(value === true ? undefined : value),
  resourcePolicy: buildResourcePolicy,
  ipFilter,
  clientCert: (value) => clientCert(value === true ? undefined : value),
  jwt,
  authorizer: fromFunctionAndOptions('authorizer', 'fn', authorizer),
  usagePlans,
  throttle,
  cache: (value) => cache(value === true ? undefined : value),
  proxy,
  lambda: fromFunctionAndOptions('lambda', 'handler', lambda),
};

const KNOWN_OPTIONS: readonly string[] = [...PIPELINE_ORDER, 'chargeCacheHits'];

/** The pieces `options` names, built, in API Gateway's order, and the pipeline's own options. */
export function resolvePieces(options: PipelineOptions): {
  pieces: Piece[];
  chargeCacheHits: boolean;
} {
  assertOptionsObject('pipeline', options);
  assertKnownOptions('pipeline', options, KNOWN_OPTIONS);
  if (options.proxy !== undefined && options.lambda !== undefined)
    throw new TypeError(
      'portcullis: option "pipeline.lambda" cannot be given with "pipeline.proxy": a method has one integration',
    );
  const chargeCacheHits = options.chargeCacheHits ?? PIPELINE_DEFAULTS.chargeCacheHits;
  assertBoolean('pipeline', 'chargeCacheHits', chargeCacheHits);
  const pieces: Piece[] = [];
  for (const name of PIPELINE_ORDER) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const middleware = builtPiece(name, value) ?? build(name, value);
    pieces.push({ name, middleware, handler: coreHandlerOf(middleware)! });
  }
  return { pieces, chargeCacheHits };
}

/** `value` when it is that piece already built; a portcullis middleware of another kind throws. */
function builtPiece(name: PieceName, value: unknown): GatewayMiddleware | undefined {
  if (coreHandlerOf(value) === undefined) return undefined;
  const built = value as GatewayMiddleware;
  if (built.name !== name)
    throw optionTypeError('pipeline', name, `gateway.${name}()'s options or middleware`, value);
  return built;
}

/**
 * The piece built by its factory. The factory's errors name the option as the pipeline sees it
 * (`portcullis: option "pipeline.throttle.rate" ...`), keeping their class (TypeError, RangeError).
 */
function build(name: PieceName, value: unknown): GatewayMiddleware {
  try {
    return FACTORIES[name](value);
  } catch (err) {
    throw prefixedOptionError(err, undefined, `pipeline.${name}`);
  }
}

const SCOPED = /^portcullis\.[\w.]+: /;
const OPTION = /option "([^"]*)"/;

/**
 * A piece factory's start-up error, naming the option as the caller of a middleware that builds
 * the piece sees it: `prefix` goes before the option's name, and the message is scoped to
 * `scope` (`portcullis.openapi: option "stages.prod.throttle.rate" ...`; without a scope,
 * `portcullis: option "pipeline.throttle.rate" ...`). Keeps the error's class (TypeError,
 * RangeError), with the original as its cause; anything else is returned as it is.
 */
export function prefixedOptionError(
  err: unknown,
  scope: string | undefined,
  prefix: string,
): unknown {
  if (!(err instanceof Error) || !SCOPED.test(err.message)) return err;
  const rest = err.message.replace(SCOPED, '');
  const at = scope === undefined ? 'portcullis' : `portcullis.${scope}`;
  const message = OPTION.test(rest)
    ? `${at}: ${rest.replace(OPTION, `option "${prefix}.$1"`)}`
    : `${at}.${prefix}: ${rest}`;
  const Class = err.constructor as new (message: string, options?: ErrorOptions) => Error;
  return new Class(message, { cause: err });
}

/**
 * A piece whose factory takes a function and options (`authorizer(fn, options)`,
 * `lambda(handler, options)`), given as `{ [key]: fn, ...options }`, `[fn, options]` or `fn`.
 */
function fromFunctionAndOptions(
  name: PieceName,
  key: string,
  // biome-ignore lint/suspicious/noExplicitAny: each factory checks its own arguments.
  factory: (fn: any, options?: any) => GatewayMiddleware,
): Factory {
  return (value: unknown) => {
    if (typeof value === 'function') return factory(value);
    if (Array.isArray(value)) {
      if (value.length > 2)
        throw new TypeError(
          `portcullis: option "pipeline.${name}" must be [${key}, options], got an array of ${value.length}`,
        );
      return factory(notBuilt(name, key, value[0]), value[1]);
    }
    if (typeof value !== 'object' || value === null)
      throw optionTypeError(name, key, `a function ({ ${key}, ...options })`, value);
    const { [key]: fn, ...rest } = value as Record<string, unknown>;
    return factory(notBuilt(name, key, fn), rest);
  };
}

/**
 * `fn` unless it is a built portcullis middleware: one belongs under the pipeline's key itself;
 * as the function it would be called with an event it cannot read, on every request instead of
 * failing at start-up.
 */
function notBuilt(name: PieceName, key: string, fn: unknown): unknown {
  if (coreHandlerOf(fn) === undefined) return fn;
  throw new TypeError(
    `portcullis.${name}: option "${key}" must be a function, not a built middleware (a built gateway.${name}() goes under "${name}" itself)`,
  );
}

/** `resourcePolicy`: `{ policy, ...options }`. */
function buildResourcePolicy(value: unknown): GatewayMiddleware {
  if (typeof value !== 'object' || value === null || !('policy' in value))
    throw optionTypeError('resourcePolicy', 'policy', 'given ({ policy, ...options })', value);
  const { policy, ...rest } = value as { policy: never };
  return resourcePolicy(policy, rest);
}
