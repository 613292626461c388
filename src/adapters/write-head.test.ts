/**
 * `res.writeHead(status, headers)` in every form Node accepts, called by the app itself, behind
 * the gateway: repeated fields (`Set-Cookie`, `Link`) must all reach the client.
 */

import { get, type OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../test/support/frameworks.js';
import { cors } from '../middleware/cors/index.js';
import { throttle } from '../middleware/throttle/index.js';

const APP = 'https://app.example.com';

type HeaderForm = OutgoingHttpHeaders | Array<string | string[]>;

/** The same response headers in each form `writeHead` takes. */
const FORMS: Array<[string, HeaderForm]> = [
  [
    'an object with array values',
    {
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
      link: ['</a.css>; rel=preload', '</b.js>; rel=preload'],
    },
  ],
  [
    'a flat raw array',
    [
      'content-type',
      'text/plain',
      'set-cookie',
      'a=1',
      'link',
      '</a.css>; rel=preload',
      'set-cookie',
      'b=2',
      'link',
      '</b.js>; rel=preload',
    ],
  ],
  [
    'a nested array',
    [
      ['content-type', 'text/plain'],
      ['set-cookie', 'a=1'],
      ['link', '</a.css>; rel=preload'],
      ['set-cookie', 'b=2'],
      ['link', '</b.js>; rel=preload'],
    ],
  ],
];

/** The fields the app sent, as they came off the wire (`rawHeaders`, one entry per line). */
const EXPECTED_FIELDS = [
  ['content-type', 'text/plain'],
  ['link', '</a.css>; rel=preload'],
  ['link', '</b.js>; rel=preload'],
  ['set-cookie', 'a=1'],
  ['set-cookie', 'b=2'],
];

interface RawResponse {
  status: number;
  message: string;
  /** [name (lower case), value] for each header line, in the order received. */
  fields: string[][];
  body: string;
}

function getRaw(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        const fields: string[][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          fields.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, message: res.statusMessage ?? '', fields, body });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The app's own fields, sorted: the gateway adds its own (request id, CORS) around them. */
function appFields(res: RawResponse): string[][] {
  const names = new Set(EXPECTED_FIELDS.map(([name]) => name));
  return res.fields
    .filter(([name]) => names.has(name!))
    .sort((a, b) => (a[0]! + a[1]! < b[0]! + b[1]! ? -1 : 1));
}

describe('the header forms under test', () => {
  it('are what Node itself sends as repeated fields without the gateway', async () => {
    const { createServer } = await import('node:http');
    for (const [, form] of FORMS) {
      const server = createServer((_req, res) => {
        res.writeHead(200, form as OutgoingHttpHeaders);
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const res = await getRaw(`http://127.0.0.1:${port}/`, {});
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(appFields(res)).toEqual(EXPECTED_FIELDS);
    }
  });
});

describeEachFramework('res.writeHead(status, headers) behind the gateway', (fw) => {
  /** A route that writes the head itself, in Koa bypassing Koa's response (`ctx.respond = false`). */
  function writesHead(form: HeaderForm, reason?: string) {
    const write = (res: import('node:http').ServerResponse) => {
      const headers = form as OutgoingHttpHeaders;
      if (reason === undefined) res.writeHead(201, headers);
      else res.writeHead(201, reason, headers);
      res.end('written');
    };
    return {
      method: 'GET',
      path: '/r',
      express: (_req: unknown, res: import('node:http').ServerResponse) => write(res),
      // biome-ignore lint/suspicious/noExplicitAny: Koa's ctx
      koa: (ctx: any) => {
        ctx.respond = false;
        write(ctx.res);
      },
    };
  }

  describe.each(FORMS)('given %s', (_label, form) => {
    it('delivers every repeated Set-Cookie and Link with the header hooks active (cors)', async () => {
      const app = await fw.start({ use: [cors({ origin: [APP] })], routes: [writesHead(form)] });
      const res = await getRaw(`${app.url}/r`, { origin: APP });
      expect([res.status, res.body]).toEqual([201, 'written']);
      expect(appFields(res)).toEqual(EXPECTED_FIELDS);
      const names = res.fields.map(([name]) => name);
      expect(names).toContain('x-request-id');
      expect(res.fields).toContainEqual(['access-control-allow-origin', APP]);
    });

    it('delivers them, and the reason phrase, with no header hook (throttle only)', async () => {
      const app = await fw.start({
        use: [throttle({ rate: 10 })],
        routes: [writesHead(form, 'Made')],
      });
      const res = await getRaw(`${app.url}/r`, {});
      expect([res.status, res.message, res.body]).toEqual([201, 'Made', 'written']);
      expect(appFields(res)).toEqual(EXPECTED_FIELDS);
      expect(res.fields.map(([name]) => name)).toContain('ratelimit');
    });
  });

  it('lets the headers given to writeHead replace the same fields set before', async () => {
    const app = await fw.start({
      use: [cors({ origin: [APP] })],
      routes: [
        {
          method: 'GET',
          path: '/r',
          express: (_req: unknown, res: import('node:http').ServerResponse) => {
            res.setHeader('set-cookie', 'old=1');
            res.writeHead(200, ['set-cookie', 'new=1', 'set-cookie', 'new=2']);
            res.end();
          },
          // biome-ignore lint/suspicious/noExplicitAny: Koa's ctx
          koa: (ctx: any) => {
            ctx.respond = false;
            ctx.res.setHeader('set-cookie', 'old=1');
            ctx.res.writeHead(200, ['set-cookie', 'new=1', 'set-cookie', 'new=2']);
            ctx.res.end();
          },
        },
      ],
    });
    const res = await getRaw(`${app.url}/r`, { origin: APP });
    expect(res.fields.filter(([name]) => name === 'set-cookie')).toEqual([
      ['set-cookie', 'new=1'],
      ['set-cookie', 'new=2'],
    ]);
  });
});
