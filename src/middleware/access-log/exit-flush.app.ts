/**
 * A process that serves requests with the default access log and exits right after the last
 * answer (`process.exit`, no turn of the event loop in between): the lines still queued must
 * reach stdout. Run by writer.test.ts; argument: how many requests.
 */

import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessLog } from './index.js';

const count = Number(process.argv[2] ?? '3');
const log = accessLog();
let served = 0;
const server = createServer((req, res) => {
  log(req, res, () => res.end('ok'));
  // After the access log's own `close` listener, in the same turn: its line is still queued.
  if (++served === count) res.on('close', () => process.exit(0));
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve) => {
      request({ port, host: '127.0.0.1', path: `/n/${i}`, agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).end();
    });
  }
});
