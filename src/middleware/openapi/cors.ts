/** `x-amazon-apigateway-cors` (HTTP APIs) as `gateway.cors()` options. */

import type { CorsOptions } from '../cors/index.js';
import type { Findings } from './report.js';
import { isObject } from './responses.js';

const POINTER = '/x-amazon-apigateway-cors';
const FIELDS = [
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'maxAge',
  'allowCredentials',
];

/** The CORS options the extension declares, or undefined without it. */
export function corsOptionsOf(extension: unknown, findings: Findings): CorsOptions | undefined {
  if (extension === undefined) return undefined;
  if (!isObject(extension)) throw findings.error(POINTER, 'must be an object');
  for (const key of Object.keys(extension))
    if (!FIELDS.includes(key)) findings.add(`${POINTER}/${key}`, `unknown CORS field ${key}`);
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : undefined);
  const origins = list(extension.allowOrigins);
  const methods = list(extension.allowMethods);
  const options: CorsOptions = {
    origin: origins === undefined || origins.includes('*') ? '*' : origins,
  };
  if (methods !== undefined)
    options.methods = methods.includes('*')
      ? ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS']
      : methods;
  const headers = list(extension.allowHeaders);
  if (headers !== undefined && !headers.includes('*')) options.allowedHeaders = headers;
  const exposed = list(extension.exposeHeaders);
  if (exposed !== undefined) options.exposedHeaders = exposed;
  if (typeof extension.maxAge === 'number') options.maxAge = extension.maxAge;
  if (typeof extension.allowCredentials === 'boolean')
    options.credentials = extension.allowCredentials;
  return options;
}
