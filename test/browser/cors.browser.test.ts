/**
 * CORS end to end in a real browser: Debian's headless Chromium, driven by playwright-core, loads
 * a page from one loopback origin and calls the API on another. Skipped (with a message) only
 * where /usr/bin/chromium is absent; CI installs it.
 */

import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway } from '../../src/index.js';
import { describeEachFramework } from '../support/frameworks.js';
import { mint } from '../support/jwt.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`[browser tests skipped] no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

let browser: Browser;
/** Two page origins: one the API allows, one it does not. */
let allowedPage: { server: Server; origin: string };
let otherPage: { server: Server; origin: string };

async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>page</title><p>page</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A real throttle on /limited only, with a bucket of one: the second request gets the 429. */
function limitOnPath() {
  return gateway.throttle({
    rate: 0.001,
    burst: 1,
    key: 'global',
    skip: (req) => req.path !== '/limited',
  });
}

type FetchResult =
  | { ok: true; status: number; body: string; header: string | null }
  | { ok: false; error: string };

/** Runs fetch inside the page and reports what page script can see. */
function browserFetch(
  page: Page,
  url: string,
  init: RequestInit = {},
  exposeHeader = 'x-request-id',
): Promise<FetchResult> {
  return page.evaluate(
    async ([u, i, h]) => {
      try {
        const res = await fetch(u, i);
        return {
          ok: true as const,
          status: res.status,
          body: await res.text(),
          header: res.headers.get(h),
        };
      } catch (err) {
        return { ok: false as const, error: String(err) };
      }
    },
    [url, init, exposeHeader] as const,
  );
}

describe.skipIf(!hasChromium)('cors() in a real browser', () => {
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
      ],
    });
    allowedPage = await pageServer();
    otherPage = await pageServer();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    allowedPage?.server.close();
    otherPage?.server.close();
  });

  describeEachFramework('browser', (fw) => {
    async function startApi() {
      return fw.start({
        use: [
          gateway.cors({
            origin: [allowedPage.origin],
            credentials: true,
            exposedHeaders: ['x-request-id'],
          }),
          limitOnPath(),
        ],
        routes: [
          { method: 'GET', path: '/data', reply: { body: { hello: 'browser' } } },
          { method: 'PUT', path: '/data', reply: { body: 'updated' } },
        ],
      });
    }

    async function openPage(origin: string): Promise<Page> {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      return page;
    }

    it('lets the allowed page read a simple GET and an exposed header', async () => {
      const api = await startApi();
      const page = await openPage(allowedPage.origin);
      const result = await browserFetch(page, `${api.url}/data`);
      await page.close();
      expect(result).toMatchObject({ ok: true, status: 200, body: '{"hello":"browser"}' });
      expect(result.ok && result.header).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('runs a preflighted PUT with a custom header and credentials', async () => {
      const api = await startApi();
      const page = await openPage(allowedPage.origin);
      const result = await browserFetch(page, `${api.url}/data`, {
        method: 'PUT',
        credentials: 'include',
        headers: { 'x-custom': '1', 'content-type': 'application/json' },
        body: '{}',
      });
      await page.close();
      expect(result).toMatchObject({ ok: true, status: 200, body: 'updated' });
    });

    it('blocks a page on a disallowed origin', async () => {
      const api = await startApi();
      const page = await openPage(otherPage.origin);
      const result = await browserFetch(page, `${api.url}/data`);
      await page.close();
      expect(result).toMatchObject({ ok: false });
      expect(!result.ok && result.error).toMatch(/Failed to fetch/);
    });

    it('lets the page read the status and body of a 429', async () => {
      const api = await startApi();
      const page = await openPage(allowedPage.origin);
      const first = await browserFetch(page, `${api.url}/limited`, { credentials: 'include' });
      const second = await browserFetch(page, `${api.url}/limited`, { credentials: 'include' });
      await page.close();
      expect(first).toMatchObject({ ok: true, status: 404 });
      expect(second).toMatchObject({
        ok: true,
        status: 429,
        body: '{"message":"Too Many Requests"}',
      });
    });

    it("lets the page read jwt's 401 and its WWW-Authenticate, because cors() runs first", async () => {
      const secret = 'a-browser-test-secret-of-32-bytes!!';
      const api = await fw.start({
        use: [
          gateway.cors({ origin: [allowedPage.origin], exposedHeaders: ['www-authenticate'] }),
          gateway.jwt({ secret, algorithms: ['HS256'] }),
        ],
        routes: [{ method: 'GET', path: '/secure', reply: { body: 'secret data' } }],
      });
      const page = await openPage(allowedPage.origin);
      const url = `${api.url}/secure`;
      const anonymous = await browserFetch(page, url, {}, 'www-authenticate');
      // An Authorization header makes it a preflighted request: cors() answers the preflight.
      const bad = await browserFetch(
        page,
        url,
        { headers: { authorization: 'Bearer a.b.c' } },
        'www-authenticate',
      );
      const token = mint('HS256', secret, {
        sub: 'browser-user',
        exp: Math.floor(Date.now() / 1000) + 60,
      });
      const good = await browserFetch(page, url, { headers: { authorization: `Bearer ${token}` } });
      await page.close();
      expect(anonymous).toEqual({
        ok: true,
        status: 401,
        body: '{"message":"Unauthorized"}',
        header: 'Bearer',
      });
      expect(bad).toMatchObject({ ok: true, status: 401, body: '{"message":"Unauthorized"}' });
      expect(bad.ok && bad.header).toMatch(/^Bearer error="invalid_token"/);
      expect(good).toMatchObject({ ok: true, status: 200, body: 'secret data' });
    });
  });
});
