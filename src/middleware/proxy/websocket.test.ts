/**
 * WebSocket upgrades with `ws: true`: the README's setup, `server.on('upgrade', mw.upgrade)`,
 * in each framework (upgrades never reach Express's router or Koa's stack).
 */

import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import koa3 from 'koa';
import koa2 from 'koa2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { RawConnection } from '../../../test/support/raw-http.js';
import { deadPort, startWebSocketUpstream } from '../../../test/support/upstream.js';
import { type ProxyMiddleware, proxy } from './index.js';

let wsUp: Awaited<ReturnType<typeof startWebSocketUpstream>>;
let dead: string;
beforeAll(async () => {
  wsUp = await startWebSocketUpstream();
  dead = (await deadPort()).url;
});
afterAll(() => wsUp.close());

/** The README setup: the proxy serves HTTP through the app and upgrades through the server. */
const frameworks: Record<string, (mw: ProxyMiddleware) => Server> = {
  express4: (mw) => createServer(express4().use(mw)),
  express5: (mw) => createServer(express5().use(mw)),
  koa2: (mw) => createServer(new koa2().use(mw as never).callback()),
  koa3: (mw) => createServer(new koa3().use(mw as never).callback()),
};

/** Opens a client and collects its first `count` messages. */
function converse(
  url: string,
  headers: Record<string, string>,
  send: string[],
  count: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url, { headers });
    const messages: string[] = [];
    client.on('open', () => {
      for (const message of send) client.send(message);
    });
    client.on('message', (data) => {
      messages.push(data.toString());
      if (messages.length === count) {
        client.close();
        resolve(messages);
      }
    });
    client.on('error', reject);
  });
}

for (const [name, build] of Object.entries(frameworks)) {
  describe(`proxy() WebSocket upgrades [${name}]`, () => {
    const servers: Server[] = [];
    const listen = async (mw: ProxyMiddleware) => {
      const server = build(mw);
      server.on('upgrade', (req, socket, head) => {
        if (!mw.upgrade(req, socket, head)) socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      return `127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    afterAll(async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('proxies the upgrade under prefix, strips the prefix and drops the API key (x-api-key, apiKeySources)', async () => {
      const host = await listen(
        proxy({
          target: wsUp.url,
          ws: true,
          prefix: '/ws',
          apiKeySources: { headers: 'x-gateway-key', query: 'api_key' },
        }),
      );
      const [hello, echoed] = await converse(
        `ws://${host}/ws/chat?room=1&api_key=secret`,
        { 'x-api-key': 'secret', 'x-gateway-key': 'secret', 'x-custom': 'kept' },
        ['hi'],
        2,
      );
      const seen = JSON.parse(hello!) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/chat?room=1');
      expect(seen.headers['x-api-key']).toBeUndefined();
      expect(seen.headers['x-gateway-key']).toBeUndefined();
      expect(seen.headers['x-custom']).toBe('kept');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echoed).toBe('echo:hi');
    });

    it('leaves upgrades outside its prefix to others, and does nothing without ws: true', async () => {
      const withWs = proxy({ target: wsUp.url, ws: true, prefix: '/ws' });
      const withoutWs = proxy({ target: wsUp.url, prefix: '/ws' });
      const req = { url: '/other', headers: {} } as never;
      expect(withWs.upgrade(req, undefined as never, Buffer.alloc(0))).toBe(false);
      expect(
        withoutWs.upgrade({ url: '/ws/x' } as never, undefined as never, Buffer.alloc(0)),
      ).toBe(false);
      const host = await listen(withWs);
      await expect(converse(`ws://${host}/other`, {}, [], 1)).rejects.toThrow();
    });

    it('refuses an upgrade whose path escapes the target with 400 (path traversal)', async () => {
      const host = await listen(proxy({ target: `${wsUp.url}/chat`, ws: true, prefix: '/ws' }));
      for (const path of ['/ws/%2e%2e/admin', '/ws/..%2fadmin', '/ws/../admin']) {
        const conn = await RawConnection.open(`http://${host}`);
        conn.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
        );
        expect([path, (await conn.response('GET'))?.status]).toEqual([path, 400]);
        conn.destroy();
      }
      const [hello] = await converse(`ws://${host}/ws/a/%2e%2e/room`, {}, [], 1);
      expect((JSON.parse(hello!) as { url: string }).url).toBe('/chat/room');
    });

    it('forwards an absolute-form upgrade by its path, as the router reads it, and leaves `*` to others', async () => {
      const upgrade = (host: string, target: string) =>
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
      /** The URL the upstream saw, read from its first message (its JSON is in the frame as is). */
      const seenUrl = (host: string, target: string) =>
        new Promise<string>((resolve, reject) => {
          const [hostname, port] = host.split(':');
          const socket = connect(Number(port), hostname, () => socket.write(upgrade(host, target)));
          let data = '';
          socket.on('data', (chunk: Buffer) => {
            data += chunk.toString('latin1');
            const url = /"url":"([^"]*)"/.exec(data)?.[1];
            if (url !== undefined || !data.startsWith('HTTP/1.1 101')) {
              socket.destroy();
              resolve(url ?? data.split('\r\n', 1)[0]!);
            }
          });
          socket.on('close', () => resolve(data.split('\r\n', 1)[0] || 'closed'));
          socket.on('error', reject);
        });
      const prefixed = await listen(proxy({ target: `${wsUp.url}/chat`, ws: true, prefix: '/ws' }));
      for (const target of [`http://${prefixed}/ws/room?x=1`, 'http://other.example/ws/room?x=1#f'])
        expect([target, await seenUrl(prefixed, target)]).toEqual([target, '/chat/room?x=1']);
      const bare = await listen(proxy({ target: `${wsUp.url}/chat`, ws: true }));
      expect(await seenUrl(bare, 'http://../room')).toBe('/chat/room');
      // Not a path: not this proxy's, and the server's listener closes it at once.
      const conn = await RawConnection.open(`http://${bare}`);
      conn.write(upgrade(bare, '*'));
      expect(await conn.waitClosed(1000)).toBe(true);
      conn.destroy();
    });

    it('closes the client socket when the upstream is down, and keeps serving', async () => {
      const host = await listen(proxy({ target: dead, ws: true }));
      await expect(converse(`ws://${host}/x`, {}, [], 1)).rejects.toThrow();
      const res = await fetch(`http://${host}/still-up`);
      expect(res.status).toBe(502);
    });
  });
}
