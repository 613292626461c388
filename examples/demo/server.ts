/** Starts a demo gateway on 127.0.0.1 and knows how to stop it together with its backend. */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Backend } from './backend.js';

export interface Demo {
  readonly url: string;
  readonly backend: Backend;
  close(): Promise<void>;
}

export async function listenDemo(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  backend: Backend,
): Promise<Demo> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    backend,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}

/** True when this module is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  return moduleUrl === `file://${process.argv[1]}`;
}
