/** Starts a demo gateway on 127.0.0.1 and knows how to stop it together with what it uses. */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Backend } from './backend.js';

export interface Demo {
  readonly url: string;
  readonly backend: Backend;
  /** Where the gateway's state lives (memory or Redis). */
  readonly storeLabel: string;
  /** A token `/secure` accepts, minted at start. */
  readonly token: string;
  close(): Promise<void>;
}

export async function listenDemo(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  backend: Backend,
  storeLabel: string,
  token: string,
  cleanups: Array<() => unknown>,
): Promise<Demo> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    backend,
    storeLabel,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const cleanup of cleanups) await cleanup();
      await backend.close();
    },
  };
}

/** True when this module is the script node was started with (not imported by a test). */
export function isMain(moduleUrl: string): boolean {
  return moduleUrl === `file://${process.argv[1]}`;
}

/** Ports from the environment (`PORT`, `BACKEND_PORT`), defaulting to 3000 and 3001. */
export function demoPorts(): [number, number] {
  return [Number(process.env.PORT ?? 3000), Number(process.env.BACKEND_PORT ?? 3001)];
}

/** Ctrl-C closes the gateway, the backend and the store (a Redis run deletes its keys). */
export function stopOnSignal(demo: Demo): void {
  const stop = () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
