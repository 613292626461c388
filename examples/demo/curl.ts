/** Prints the demo's URLs and ready-to-paste curl lines. */

export const DEMO_ORIGIN = 'https://app.example.com';

export function printInstructions(framework: string, gatewayUrl: string, backendUrl: string): void {
  const g = gatewayUrl;
  const lines = [
    `portcullis demo (${framework}) — gateway ${g}, backend ${backendUrl}`,
    '',
    '# Request id: echoed, or generated when absent',
    `curl -i ${g}/hello -H 'x-request-id: demo-123'`,
    '',
    '# CORS: an allowed origin, a disallowed one, and a preflight answered by the gateway (204)',
    `curl -i ${g}/hello -H 'Origin: ${DEMO_ORIGIN}'`,
    `curl -i ${g}/hello -H 'Origin: https://evil.example.net'`,
    `curl -i -X OPTIONS ${g}/hello -H 'Origin: ${DEMO_ORIGIN}' -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type, x-api-key'`,
    '',
    'Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
}
