/**
 * The header hooks on the very first request of a process, behind middlewares built on
 * `on-headers` (compression, morgan, express-session) mounted BEFORE the gateway. Those wrap
 * `res.writeHead` on the response and call the `writeHead` they found there: whatever portcullis
 * defines on prototypes must already be in place when they look. Each framework's app runs in a
 * process of its own (first-request.app.ts): the first request of a process is what is tested.
 */

import { execFile } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface FirstRequest {
  status: number;
  headers: IncomingHttpHeaders;
  lines: string[];
}

/** The origin the app in first-request.app.ts allows. */
const APP = 'https://app.example.com';
const SCRIPT = fileURLToPath(new URL('./first-request.app.ts', import.meta.url));

function firstRequest(framework: string): Promise<FirstRequest> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, framework],
      { timeout: 55_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as FirstRequest);
      },
    );
  });
}

describe('header hooks on the first request of a process', () => {
  it.each(['express4', 'express5', 'koa2', 'koa3'])(
    'apply behind compression, morgan and a session store mounted before the gateway [%s]',
    async (framework) => {
      const { status, headers, lines } = await firstRequest(framework);
      expect(status).toBe(200);
      expect(headers['access-control-allow-origin']).toBe(APP);
      expect(headers.vary).toMatch(/Origin/);
      expect(headers.ratelimit).toMatch(/r=9/);
      expect(headers['x-request-id']).toBeTruthy();
      // The middlewares before the gateway did their part too.
      expect(headers['content-encoding']).toBe('gzip');
      if (framework.startsWith('express'))
        expect(headers['set-cookie']?.[0]).toMatch(/^connect\.sid=/);
      // morgan's own on-headers listener ran, and saw the final headers.
      expect(lines).toEqual([`200 ${APP}`]);
    },
    // A process of its own compiles the sources first (tsx): seconds, more on a loaded machine.
    60_000,
  );
});
