/**
 * The document's security, compiled into the gateway's pieces: `api_key` schemes → one
 * `usagePlans`; `x-amazon-apigateway-authorizer` of type `jwt` / `cognito_user_pools` →
 * `jwt`; `token` / `request` → `authorizer` with the function from `options.authorizers`.
 */

import { sendGatewayError } from '../../core/errors.js';
import type { CoreHandler } from '../../core/exchange.js';
import { coreHandlerOf, type GatewayMiddleware } from '../../core/middleware.js';
import { authorizer } from '../authorizer/index.js';
import { type JwtOptions, jwt } from '../jwt/index.js';
import { prefixedOptionError } from '../pipeline/pieces.js';
import { type UsagePlansMiddleware, usagePlans } from '../usage-plans/index.js';
import { type OpenApiConfig, SCOPE } from './options.js';
import { childPointer } from './refs.js';
import type { Findings } from './report.js';
import { isObject } from './responses.js';

/** What an operation's security requirement compiles to. */
export interface OperationSecurity {
  /** The authorizers to run, in the requirement's order (before keys and throttles). */
  readonly auth: readonly CoreHandler[];
  /** Whether the operation requires an API key. */
  readonly apiKey: boolean;
  /** The request headers its authorizers tell callers apart by (their identity sources). */
  readonly identity: readonly string[];
}

const OPEN: OperationSecurity = { auth: [], apiKey: false, identity: [] };

const AUTHORIZER = 'x-amazon-apigateway-authorizer';

export class SecurityCompiler {
  private readonly schemes: Record<string, unknown>;
  private readonly built = new Map<string, CoreHandler>();
  private plans: UsagePlansMiddleware | undefined;
  private readonly keySource: 'HEADER' | 'AUTHORIZER';

  constructor(
    document: Record<string, unknown>,
    private readonly config: OpenApiConfig,
    private readonly findings: Findings,
  ) {
    const components = isObject(document.components) ? document.components : {};
    this.schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
    this.assertNamedSchemes('jwt', config.jwt, ['jwt', 'cognito_user_pools']);
    this.assertNamedSchemes('authorizers', config.authorizers, ['token', 'request']);
    const source = document['x-amazon-apigateway-api-key-source'];
    this.keySource = source === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER';
    if (source !== undefined && source !== 'HEADER' && source !== 'AUTHORIZER')
      throw findings.error(
        '/x-amazon-apigateway-api-key-source',
        'must be "HEADER" or "AUTHORIZER"',
      );
  }

  /**
   * Options given by security scheme name must name a scheme of the document of their kind: a
   * misspelt name would otherwise be ignored (a `jwt` override leaving the issuer's JWKS in place).
   */
  private assertNamedSchemes(
    option: 'jwt' | 'authorizers',
    given: Readonly<Record<string, unknown>>,
    types: readonly string[],
  ): void {
    const names = Object.keys(given);
    if (names.length === 0) return;
    const ofKind = Object.entries(this.schemes)
      .filter(([, scheme]) => {
        const spec = isObject(scheme) ? scheme[AUTHORIZER] : undefined;
        return isObject(spec) && types.includes(String(spec.type ?? '').toLowerCase());
      })
      .map(([name]) => name);
    for (const name of names)
      if (!ofKind.includes(name))
        throw new TypeError(
          `portcullis.${SCOPE}: option "${option}.${name}" must name a ${types.join(' or ')} ` +
            `security scheme of the document (${ofKind.length === 0 ? 'it has none' : ofKind.join(', ')})`,
        );
  }

  /** The header API keys come in (the `api_key` scheme's `name`): canaries stick to it too. */
  keyHeader = 'x-api-key';

  /** The usage plans built for the operations that require a key, if any does. */
  get usagePlans(): UsagePlansMiddleware | undefined {
    return this.plans;
  }

  /** The pieces of one operation's requirement (the operation's `security`, else the document's). */
  forOperation(requirements: unknown, pointer: string, stage: string): OperationSecurity {
    if (requirements === undefined) return OPEN;
    if (!Array.isArray(requirements))
      throw this.findings.error(pointer, 'security must be an array');
    if (requirements.length === 0) return OPEN;
    if (requirements.length > 1)
      this.findings.add(pointer, 'alternative security requirements: only the first is enforced');
    const first = requirements[0];
    if (!isObject(first)) throw this.findings.error(childPointer(pointer, 0), 'must be an object');
    const auth: CoreHandler[] = [];
    let apiKey = false;
    const identity: string[] = [];
    for (const [name, scopes] of Object.entries(first)) {
      const here = childPointer(pointer, 0, name);
      const scheme = this.schemes[name];
      if (!isObject(scheme))
        throw this.findings.error(
          here,
          `no security scheme "${name}" in /components/securitySchemes`,
        );
      const schemePointer = childPointer('/components/securitySchemes', name);
      if (scheme[AUTHORIZER] === undefined && scheme.type === 'apiKey') {
        this.ensurePlans(name, scheme, schemePointer);
        apiKey = true;
        continue;
      }
      const list = Array.isArray(scheme[AUTHORIZER])
        ? []
        : Array.isArray(scopes)
          ? scopes.map(String)
          : [];
      auth.push(this.authorizerOf(name, scheme, schemePointer, list, stage));
      identity.push(...identityHeaders(scheme[AUTHORIZER]));
    }
    return { auth, apiKey, identity };
  }

  /** The one `usagePlans` (plans and keys from the options; the key's source from the document). */
  private ensurePlans(name: string, scheme: Record<string, unknown>, pointer: string): void {
    if (this.plans !== undefined) return;
    if (scheme.in !== 'header')
      this.findings.add(childPointer(pointer, 'in'), 'API keys are read from a header only');
    if (this.config.usagePlans === undefined)
      throw this.findings.error(
        pointer,
        `security scheme "${name}" needs options.usagePlans (plans and keys)`,
      );
    const header = typeof scheme.name === 'string' ? scheme.name.toLowerCase() : 'x-api-key';
    this.keyHeader = header;
    try {
      this.plans = usagePlans({
        ...this.config.usagePlans,
        header,
        ...(this.keySource === 'AUTHORIZER' ? { keySource: 'authorizer' as const } : {}),
      });
    } catch (err) {
      throw prefixedOptionError(err, SCOPE, 'usagePlans');
    }
  }

  private authorizerOf(
    name: string,
    scheme: Record<string, unknown>,
    pointer: string,
    scopes: readonly string[],
    stage: string,
  ): CoreHandler {
    const spec = scheme[AUTHORIZER];
    const here = childPointer(pointer, AUTHORIZER);
    if (!isObject(spec)) {
      this.findings.add(
        pointer,
        `security scheme of type ${JSON.stringify(scheme.type)} is not supported: its operations are refused`,
      );
      return refuse;
    }
    const type = String(spec.type ?? '').toLowerCase();
    const key = `${name}\n${type === 'token' || type === 'request' ? stage : scopes.join(' ')}`;
    let handler = this.built.get(key);
    if (handler === undefined) {
      handler = this.build(name, type, spec, here, scopes, stage);
      this.built.set(key, handler);
    }
    return handler;
  }

  private build(
    name: string,
    type: string,
    spec: Record<string, unknown>,
    pointer: string,
    scopes: readonly string[],
    stage: string,
  ): CoreHandler {
    try {
      switch (type) {
        case 'jwt':
        case 'cognito_user_pools':
          return coreHandlerOf(jwt(this.jwtOptions(name, type, spec, pointer, scopes)))!;
        case 'token':
        case 'request':
          return coreHandlerOf(this.lambdaAuthorizer(name, type, spec, pointer, stage))!;
        default:
          this.findings.add(
            childPointer(pointer, 'type'),
            `authorizer type ${JSON.stringify(spec.type)} is not supported: its operations are refused`,
          );
          return refuse;
      }
    } catch (err) {
      if (err instanceof Error && !err.message.startsWith('portcullis.openapi:'))
        throw this.findings.error(pointer, err.message);
      throw err;
    }
  }

  private jwtOptions(
    name: string,
    type: string,
    spec: Record<string, unknown>,
    pointer: string,
    scopes: readonly string[],
  ): JwtOptions {
    let issuer: string | undefined;
    let audience: readonly string[] | undefined;
    if (type === 'jwt') {
      const jwtConfiguration = isObject(spec.jwtConfiguration) ? spec.jwtConfiguration : {};
      issuer = typeof jwtConfiguration.issuer === 'string' ? jwtConfiguration.issuer : undefined;
      if (Array.isArray(jwtConfiguration.audience))
        audience = jwtConfiguration.audience.map(String);
    } else issuer = cognitoIssuer(spec.providerARNs, this.config.region);
    const overrides = this.config.jwt[name] ?? {};
    issuer = (overrides.issuer as string | undefined) ?? issuer;
    if (issuer === undefined)
      throw this.findings.error(
        pointer,
        `security scheme "${name}" names no issuer (jwtConfiguration.issuer or providerARNs)`,
      );
    const token = tokenSource(spec.identitySource, pointer, this.findings);
    return {
      algorithms: ['RS256'],
      issuer,
      jwksUri: `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
      ...(audience === undefined ? {} : { audience }),
      ...(scopes.length === 0 ? {} : { scopes }),
      ...(token === undefined ? {} : { token }),
      ...overrides,
    } as JwtOptions;
  }

  private lambdaAuthorizer(
    name: string,
    type: 'token' | 'request',
    spec: Record<string, unknown>,
    pointer: string,
    stage: string,
  ): GatewayMiddleware {
    const fn = this.config.authorizers[name];
    if (fn === undefined)
      throw this.findings.error(
        pointer,
        `security scheme "${name}" needs its function in options.authorizers.${name}`,
      );
    const ttl = spec.authorizerResultTtlInSeconds;
    const expression = spec.identityValidationExpression;
    if (
      spec.authorizerPayloadFormatVersion !== undefined &&
      spec.authorizerPayloadFormatVersion !== '1.0'
    )
      this.findings.add(
        childPointer(pointer, 'authorizerPayloadFormatVersion'),
        'authorizer payload 2.0: the function gets the 1.0 event',
      );
    if (spec.enableSimpleResponses !== undefined)
      this.findings.add(
        childPointer(pointer, 'enableSimpleResponses'),
        'simple responses are not supported: answer with a policy',
      );
    return authorizer(fn, {
      type: type === 'token' ? 'TOKEN' : 'REQUEST',
      name,
      ...(spec.identitySource === undefined
        ? {}
        : { identitySource: identitySources(spec.identitySource) }),
      ...(typeof ttl === 'number' ? { ttl } : {}),
      ...(typeof expression === 'string'
        ? { identityValidationExpression: new RegExp(`^(?:${expression})$`) }
        : {}),
      arn: {
        region: this.config.region,
        accountId: this.config.accountId,
        apiId: this.config.apiId,
        stage,
      },
    });
  }
}

/** An operation whose security cannot be checked is refused, never let through. */
const refuse: CoreHandler = (ex) => sendGatewayError(ex, 'forbidden');

/** `https://cognito-idp.{region}.amazonaws.com/{poolId}` from the first user pool ARN. */
function cognitoIssuer(arns: unknown, fallbackRegion: string): string | undefined {
  const first = Array.isArray(arns) ? arns[0] : undefined;
  if (typeof first !== 'string') return undefined;
  const found = /^arn:aws[\w-]*:cognito-idp:([\w-]*):\d*:userpool\/([\w-]+)$/.exec(first);
  if (found === null) return undefined;
  return `https://cognito-idp.${found[1] || fallbackRegion}.amazonaws.com/${found[2]}`;
}

/** REST (`method.request.header.X`, comma-separated) and HTTP API (`$request.header.X`) sources. */
function identitySources(value: unknown): string[] {
  const list = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return list.map((item) =>
    item
      .trim()
      .replace(/^\$request\.header\./, 'header:')
      .replace(/^\$request\.querystring\./, 'query:'),
  );
}

const HEADER_SOURCE = /^(?:method\.request\.header\.|header:)(.+)$/i;

/** The headers an authorizer reads the caller's identity from (Authorization when it names none). */
function identityHeaders(spec: unknown): string[] {
  if (!isObject(spec)) return [];
  if (spec.identitySource === undefined) return ['authorization'];
  const headers: string[] = [];
  for (const source of identitySources(spec.identitySource)) {
    const header = HEADER_SOURCE.exec(source);
    if (header !== null) headers.push(header[1]!.toLowerCase());
  }
  return headers;
}

/** A JWT authorizer's token header, when it is not `Authorization`. */
function tokenSource(
  value: unknown,
  pointer: string,
  findings: Findings,
): JwtOptions['token'] | undefined {
  if (value === undefined) return undefined;
  const sources = identitySources(value);
  const header = /^header:(.+)$/i.exec(sources[0] ?? '');
  if (sources.length !== 1 || header === null) {
    findings.add(
      childPointer(pointer, 'identitySource'),
      'a JWT is read from one header only: Authorization used',
    );
    return undefined;
  }
  const name = header[1]!.toLowerCase();
  return name === 'authorization' ? undefined : { header: name };
}
