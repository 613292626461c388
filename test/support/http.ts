/** A plain HTTP client for tests: exact headers in, raw status/headers/body out (no fetch magic). */

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { type RequestOptions as HttpsRequestOptions, request as httpsRequest } from 'node:https';

export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed JSON body, when the body is JSON. */
  json: unknown;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** The local address to connect from (`127.0.0.2`: another client of this machine, on Linux). */
  localAddress?: string;
  /** For an `https:` URL: the client's `cert`, `key` and the `ca` it trusts. */
  tls?: Pick<HttpsRequestOptions, 'cert' | 'key' | 'ca'>;
}

export function request(
  baseUrl: string,
  path: string,
  init: TestRequest = {},
): Promise<TestResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        agent: false,
        localAddress: init.localAddress,
        ...init.tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').includes('json') && body !== '') {
            try {
              json = JSON.parse(body);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
