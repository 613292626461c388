/**
 * `x-amazon-apigateway-gateway-responses`: the document's replacements for the gateway's own
 * responses (status, headers, body template), compiled once and installed per request.
 */

import type { GatewayErrorInfo } from '../../core/context.js';
import {
  type GatewayResponseOverride,
  type GatewayResponseOverrides,
  useGatewayResponseOverrides,
} from '../../core/errors.js';
import type { Exchange } from '../../core/exchange.js';
import {
  GatewayResponseError,
  parseTemplate,
  readerOf,
  renderTemplate,
  type TemplatePart,
  type ValueReader,
} from './gateway-response-template.js';

export { GatewayResponseError } from './gateway-response-template.js';

/** API Gateway's gateway response types (its `GatewayResponseType` enumeration). */
export const GATEWAY_RESPONSE_TYPES: ReadonlySet<string> = new Set([
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'ACCESS_DENIED',
  'API_CONFIGURATION_ERROR',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'AUTHORIZER_FAILURE',
  'BAD_REQUEST_BODY',
  'BAD_REQUEST_PARAMETERS',
  'EXPIRED_TOKEN',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'INVALID_API_KEY',
  'INVALID_SIGNATURE',
  'MISSING_AUTHENTICATION_TOKEN',
  'QUOTA_EXCEEDED',
  'REQUEST_TOO_LARGE',
  'RESOURCE_NOT_FOUND',
  'THROTTLED',
  'UNAUTHORIZED',
  'UNSUPPORTED_MEDIA_TYPE',
  'WAF_FILTERED',
]);

/** One body template: its media type (the response's content type) and its parsed parts. */
interface CompiledTemplate {
  readonly mediaType: string;
  readonly parts: readonly TemplatePart[];
  /** The rendered body when the template uses no variable. */
  readonly fixed: Buffer | undefined;
}

/** One gateway response, ready to render. */
interface CompiledResponse {
  /** undefined: the refusal's own status. */
  readonly status: number | undefined;
  readonly staticHeaders: ReadonlyArray<readonly [string, string]>;
  readonly dynamicHeaders: ReadonlyArray<readonly [string, ValueReader]>;
  /** Empty: the refusal's own body and content type. */
  readonly templates: readonly CompiledTemplate[];
}

/** A document's gateway responses, compiled; give it to `useGatewayResponses` per request. */
export interface CompiledGatewayResponses extends GatewayResponseOverrides {
  /** The response types the document customises. */
  readonly responseTypes: readonly string[];
}

const GATEWAY_RESPONSE_FIELDS = new Set([
  'statusCode',
  'responseParameters',
  'responseTemplates',
  'defaultResponse',
]);
const HEADER_PARAMETER = /^gatewayresponse\.header\.([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
/** What Node accepts in a header value (no CR, LF or other control characters but tab). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers that frame the message: a gateway response that set them would break the response. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** JSON pointer escaping of one reference token (RFC 6901 §3). */
const token = (name: string): string => name.replaceAll('~', '~0').replaceAll('/', '~1');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Compiles the `x-amazon-apigateway-gateway-responses` object found at `pointer`. Throws a
 * `GatewayResponseError` naming the bad entry's pointer: an unknown response type, a bad status,
 * a header mapping it cannot apply, a template with VTL in it.
 */
export function compileGatewayResponses(
  extension: unknown,
  pointer: string,
): CompiledGatewayResponses {
  if (!isObject(extension))
    throw new GatewayResponseError(pointer, 'must be an object of gateway responses by type');
  const byType = new Map<string, CompiledResponse>();
  for (const [type, definition] of Object.entries(extension)) {
    const at = `${pointer}/${token(type)}`;
    if (!GATEWAY_RESPONSE_TYPES.has(type))
      throw new GatewayResponseError(at, `"${type}" is not a gateway response type`);
    byType.set(type, compileResponse(definition, at));
  }
  return new GatewayResponses(byType);
}

/** Makes the gateway's refusals on this request use the document's gateway responses. */
export function useGatewayResponses(ex: Exchange, compiled: CompiledGatewayResponses): void {
  if (compiled.responseTypes.length > 0) useGatewayResponseOverrides(ex, compiled);
}

function compileResponse(definition: unknown, at: string): CompiledResponse {
  if (!isObject(definition))
    throw new GatewayResponseError(
      at,
      'must be an object with statusCode, responseParameters, responseTemplates',
    );
  for (const field of Object.keys(definition))
    if (!GATEWAY_RESPONSE_FIELDS.has(field))
      throw new GatewayResponseError(
        `${at}/${token(field)}`,
        'is not a field of a gateway response',
      );
  const { staticHeaders, dynamicHeaders } = compileHeaders(
    definition.responseParameters,
    `${at}/responseParameters`,
  );
  return {
    status: compileStatus(definition.statusCode, `${at}/statusCode`),
    staticHeaders,
    dynamicHeaders,
    templates: compileTemplates(definition.responseTemplates, `${at}/responseTemplates`),
  };
}

function compileStatus(statusCode: unknown, at: string): number | undefined {
  if (statusCode === undefined) return undefined;
  const status = typeof statusCode === 'string' ? Number(statusCode) : statusCode;
  if (
    (typeof statusCode !== 'number' && !/^\d{3}$/.test(String(statusCode))) ||
    !Number.isInteger(status) ||
    (status as number) < 100 ||
    (status as number) > 599
  )
    throw new GatewayResponseError(
      at,
      `must be an HTTP status from 100 to 599, not ${JSON.stringify(statusCode)}`,
    );
  return status as number;
}

function compileHeaders(
  parameters: unknown,
  at: string,
): Pick<CompiledResponse, 'staticHeaders' | 'dynamicHeaders'> {
  const staticHeaders: Array<readonly [string, string]> = [];
  const dynamicHeaders: Array<readonly [string, ValueReader]> = [];
  if (parameters === undefined) return { staticHeaders, dynamicHeaders };
  if (!isObject(parameters))
    throw new GatewayResponseError(at, 'must be an object of header mappings');
  for (const [target, source] of Object.entries(parameters)) {
    const here = `${at}/${token(target)}`;
    const name = HEADER_PARAMETER.exec(target)?.[1]?.toLowerCase();
    if (name === undefined)
      throw new GatewayResponseError(here, 'must be named gatewayresponse.header.<Header-Name>');
    if (FRAMING_HEADERS.has(name))
      throw new GatewayResponseError(here, `"${name}" frames the response and cannot be mapped`);
    if (typeof source !== 'string')
      throw new GatewayResponseError(
        here,
        'must be a string: a quoted static value or a request value',
      );
    if (source.length >= 2 && source.startsWith("'") && source.endsWith("'")) {
      const value = source.slice(1, -1);
      if (!HEADER_VALUE.test(value))
        throw new GatewayResponseError(
          here,
          'a header value cannot hold CR, LF or control characters',
        );
      staticHeaders.push([name, value]);
    } else {
      dynamicHeaders.push([name, referenceReader(source, here)]);
    }
  }
  return { staticHeaders, dynamicHeaders };
}

function referenceReader(reference: string, at: string): ValueReader {
  try {
    return readerOf(reference);
  } catch (error) {
    throw new GatewayResponseError(at, (error as Error).message);
  }
}

function compileTemplates(templates: unknown, at: string): CompiledTemplate[] {
  if (templates === undefined) return [];
  if (!isObject(templates))
    throw new GatewayResponseError(at, 'must be an object of templates by media type');
  return Object.entries(templates).map(([mediaType, template]) => {
    const here = `${at}/${token(mediaType)}`;
    if (!MEDIA_TYPE.test(mediaType))
      throw new GatewayResponseError(here, `"${mediaType}" is not a media type`);
    if (typeof template !== 'string') throw new GatewayResponseError(here, 'must be a string');
    let parts: TemplatePart[];
    try {
      parts = parseTemplate(template);
    } catch (error) {
      throw new GatewayResponseError(here, (error as Error).message);
    }
    const fixed = parts.every((part) => typeof part === 'string')
      ? Buffer.from(parts.join(''), 'utf8')
      : undefined;
    return { mediaType: mediaType.toLowerCase(), parts, fixed };
  });
}

/** The refusal-time side: the response for a type, then the defaults by status class. */
class GatewayResponses implements CompiledGatewayResponses {
  readonly responseTypes: readonly string[];
  private readonly byType: ReadonlyMap<string, CompiledResponse>;

  constructor(byType: ReadonlyMap<string, CompiledResponse>) {
    this.byType = byType;
    this.responseTypes = Object.freeze([...byType.keys()]);
    Object.freeze(this);
  }

  responseFor(
    ex: Exchange,
    error: GatewayErrorInfo,
    status: number,
  ): GatewayResponseOverride | undefined {
    const response =
      this.byType.get(error.responseType) ??
      (status >= 500 ? this.byType.get('DEFAULT_5XX') : undefined) ??
      (status >= 400 && status < 500 ? this.byType.get('DEFAULT_4XX') : undefined);
    return response === undefined ? undefined : render(response, ex, error, status);
  }
}

function render(
  response: CompiledResponse,
  ex: Exchange,
  error: GatewayErrorInfo,
  status: number,
): GatewayResponseOverride {
  const headers: Array<readonly [string, string]> = [...response.staticHeaders];
  for (const [name, read] of response.dynamicHeaders) {
    const value = read(ex, error);
    // A request value with CR/LF cannot become a header: the header is left out.
    if (value !== undefined && HEADER_VALUE.test(value)) headers.push([name, value]);
  }
  const template = templateFor(response.templates, ex.header('accept'));
  if (template !== undefined) headers.push(['content-type', template.mediaType]);
  return {
    status: response.status ?? status,
    headers,
    body:
      template === undefined
        ? undefined
        : (template.fixed ?? renderTemplate(template.parts, ex, error)),
  };
}

/**
 * The template for the request: the first media type of `Accept` (in the client's order, without
 * weighing q) that has one, else `application/json`'s, else the first defined.
 */
function templateFor(
  templates: readonly CompiledTemplate[],
  accept: string | undefined,
): CompiledTemplate | undefined {
  if (templates.length <= 1) return templates[0];
  for (const range of accept?.split(',') ?? []) {
    const mediaType = range.split(';', 1)[0]!.trim().toLowerCase();
    const found = templates.find((template) => template.mediaType === mediaType);
    if (found !== undefined) return found;
  }
  return templates.find((template) => template.mediaType === 'application/json') ?? templates[0];
}
