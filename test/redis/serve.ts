/** An Express app of a Redis test on 127.0.0.1, on a free port. */

import type { Express } from 'express';

export interface Served {
  readonly url: string;
  /** Closes the server and its open connections. */
  close(): void;
}

export async function serve(app: Express): Promise<Served> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
