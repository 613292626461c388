/** Prints the demo's URLs and ready-to-paste curl lines, one group per feature. */

import { DEMO_KEYS, DEMO_ORIGIN } from './config.js';
import { PETSTORE_KEY } from './petstore.js';

export function printInstructions(
  framework: string,
  gatewayUrl: string,
  backendUrl: string,
  storeLabel: string,
  token: string,
): void {
  const g = gatewayUrl;
  const key = (id: string) => DEMO_KEYS.find((k) => k.id === id)!.key;
  const lines = [
    `portcullis demo (${framework}, ${storeLabel})`,
    `  gateway ${g}`,
    `  backend ${backendUrl}`,
    '',
    '# Request id: echoed when valid, generated otherwise',
    `curl -i ${g}/hello -H 'x-request-id: demo-123'`,
    '',
    '# CORS: an allowed origin, a disallowed one, and a preflight answered by the gateway (204)',
    `curl -i ${g}/hello -H 'Origin: ${DEMO_ORIGIN}'`,
    `curl -i ${g}/hello -H 'Origin: https://evil.example.net'`,
    `curl -i -X OPTIONS ${g}/api/orders -H 'Origin: ${DEMO_ORIGIN}' -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type, x-api-key'`,
    '',
    '# Cache: proxied to the backend once, then served from the cache (watch Cache-Status and Age)',
    `curl -si '${g}/weather?city=Oslo' | grep -iE '^(cache-status|age)|servedAt'`,
    `curl -si '${g}/weather?city=Oslo' | grep -iE '^(cache-status|age)|servedAt'`,
    '',
    '# API keys and usage plans: no key (403), a pro key (200 with RateLimit fields)',
    `curl -i ${g}/api/orders`,
    `curl -i ${g}/api/orders -H 'x-api-key: ${key('demo-pro')}'`,
    '',
    '# Throttled: the free plan has burst 2, so the third request at once gets 429 + Retry-After',
    `for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code}\\n' ${g}/api/orders -H 'x-api-key: ${key('demo-free')}'; done`,
    '',
    '# Out of quota: the trial plan allows 3 requests a day, the 4th gets 429 Limit Exceeded',
    `for i in 1 2 3 4; do curl -s ${g}/api/orders -H 'x-api-key: ${key('demo-trial')}' -w ' %{http_code}\\n'; done`,
    '',
    '# JWT: no token (401 with WWW-Authenticate), then the token minted at start (HS256, a random secret)',
    `curl -i ${g}/secure`,
    `curl -i ${g}/secure -H 'Authorization: Bearer ${token}'`,
    '',
    '# Usage report (per UTC day, [used, remaining])',
    `curl -s ${g}/admin/usage/demo-trial`,
    '# /admin answers only this machine (ipFilter): from another address (127.0.0.2, Linux) it is 403',
    `curl -i --interface 127.0.0.2 ${g}/admin/usage/demo-trial`,
    '',
    '# Proxy: a POST forwarded to the backend, and an unknown backend path (404 from the backend)',
    `curl -i -X POST ${g}/api/orders -H 'x-api-key: ${key('demo-pro')}' -H 'content-type: application/json' -d '{"item":"moat","quantity":1}'`,
    `curl -i ${g}/api/nothing-here -H 'x-api-key: ${key('demo-pro')}'`,
    '',
    "# A whole API from an OpenAPI document with API Gateway's extensions (examples/openapi/petstore.yaml):",
    '# a mock health check, a Lambda handler run in-process behind an API key (403 without), an HTTP integration with mappings',
    `curl -s ${g}/prod/health`,
    `curl -i '${g}/dev/pets?type=cat'`,
    `curl -s '${g}/dev/pets?type=cat' -H 'x-api-key: ${PETSTORE_KEY}'`,
    `curl -s ${g}/dev/pets/2 -H 'x-api-key: ${PETSTORE_KEY}' -H 'x-locale: fr'`,
    '# The same document standalone: npm run build && node dist/cli.js serve examples/openapi/petstore.yaml --config examples/openapi/options.mjs --port 3002',
    '',
    '# Metrics: Prometheus series of everything above (requests by route and status class, latency, cache, 429s by policy and plan)',
    `curl -s ${g}/metrics | grep '^portcullis_'`,
    '',
    'Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
}
