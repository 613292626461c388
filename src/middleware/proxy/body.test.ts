/**
 * Request bodies after a body parser consumed the stream (the classic http-proxy-middleware
 * hang): the raw-body recipes keep the client's bytes; without them the parsed body is
 * re-serialised with a correct Content-Length.
 */

import { createHash, randomBytes } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachFramework, type FrameworkName } from '../../../test/support/frameworks.js';
import {
  type EchoReply,
  startEchoUpstream,
  type Upstream,
} from '../../../test/support/upstream.js';
import { encodeForm } from './body.js';
import { proxy } from './index.js';

let up: Upstream;
beforeAll(async () => {
  up = await startEchoUpstream();
});
afterAll(() => up.close());

const BIG = '{"id":12345678901234567890,"name":"ü"}';
const echo = (res: { json: unknown }) => res.json as EchoReply;
const json = { 'content-type': 'application/json' };

// biome-ignore lint/suspicious/noExplicitAny: Express request in the recipe
type AnyReq = any;

/** The documented Express recipe: keep the raw bytes next to the parsed body. */
const keepRawBody = (req: AnyReq, _res: unknown, buf: Buffer) => {
  req.rawBody = buf;
};

function expressOf(name: FrameworkName) {
  return name === 'express4' ? express4 : express5;
}

/** Body parsers per framework; `keepRaw: false` leaves only the parsed body. */
function parsers(name: FrameworkName, keepRaw: boolean) {
  if (name === 'koa2' || name === 'koa3') {
    const forget = async (ctx: AnyReq, next: () => Promise<void>) => {
      ctx.request.rawBody = undefined;
      await next();
    };
    return [{ koa: bodyParser() }, ...(keepRaw ? [] : [{ koa: forget }])];
  }
  const e = expressOf(name);
  const verify = keepRaw ? { verify: keepRawBody } : {};
  return [
    { express: e.json(verify) },
    { express: e.urlencoded({ extended: true, ...verify }) },
    { express: e.text(verify) },
    { express: e.raw({ type: 'application/octet-stream', ...verify }) },
  ];
}

describeEachFramework('proxy() request bodies', (fw) => {
  describe('with the raw-body recipe (Express verify, @koa/bodyparser rawBody)', () => {
    it.each(['POST', 'PUT', 'PATCH'])(
      '%s JSON arrives byte for byte: 12345678901234567890 intact',
      async (method) => {
        const app = await fw.start({ use: [...parsers(fw.name, true), proxy(up.url)] });
        const seen = echo(await app.request('/j', { method, headers: json, body: BIG }));
        expect(seen.body).toBe(BIG);
        expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(BIG)));
      },
    );

    it('a form arrives byte for byte', async () => {
      const form = 'b=2&a=1&list=x&list=y&sp=a+b%21';
      const app = await fw.start({ use: [...parsers(fw.name, true), proxy(up.url)] });
      const seen = echo(
        await app.request('/f', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        }),
      );
      expect(seen.body).toBe(form);
    });
  });

  describe('without the recipe (only the parsed body is left)', () => {
    it('JSON is re-serialised with a correct Content-Length (and loses the big number’s digits)', async () => {
      const app = await fw.start({ use: [...parsers(fw.name, false), proxy(up.url)] });
      const seen = echo(await app.request('/j', { method: 'POST', headers: json, body: BIG }));
      expect(seen.body).toBe('{"id":12345678901234567000,"name":"ü"}');
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
    });

    it('a form is re-serialised to the same fields', async () => {
      const app = await fw.start({ use: [...parsers(fw.name, false), proxy(up.url)] });
      const seen = echo(
        await app.request('/f', {
          method: 'PUT',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1&list=x&list=y&sp=a+b%21',
        }),
      );
      const fields = new URLSearchParams(seen.body);
      expect(fields.get('a')).toBe('1');
      expect(fields.getAll('list')).toEqual(['x', 'y']);
      expect(fields.get('sp')).toBe('a b!');
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
    });
  });

  it('raw binary bodies arrive byte for byte (parsed to a Buffer, or not parsed at all)', async () => {
    const bytes = randomBytes(4096);
    const app = await fw.start({ use: [...parsers(fw.name, false), proxy(up.url)] });
    const seen = echo(
      await app.request('/r', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      }),
    );
    expect(seen.bodyLength).toBe(bytes.length);
    expect(seen.bodySha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('a GET after a body parser forwards no body', async () => {
    const app = await fw.start({ use: [...parsers(fw.name, false), proxy(up.url)] });
    const seen = echo(await app.request('/g'));
    expect([seen.method, seen.bodyLength, seen.headers['content-length']]).toEqual([
      'GET',
      0,
      undefined,
    ]);
  });
});

describe('encodeForm()', () => {
  it('encodes flat, repeated and nested fields as qs does', () => {
    expect(
      encodeForm({ a: '1', list: ['x', 'y'], o: { k: 'v', n: { d: 'e' } }, skip: undefined }),
    ).toBe('a=1&list=x&list=y&o%5Bk%5D=v&o%5Bn%5D%5Bd%5D=e');
    expect(encodeForm({ rows: [{ a: '1' }, { a: '2' }] })).toBe(
      'rows%5B0%5D%5Ba%5D=1&rows%5B1%5D%5Ba%5D=2',
    );
  });
});
