import { describe, expect, it } from 'vitest';
import { describeEachFramework } from '../../../test/support/frameworks.js';
import { hmacToken } from '../../../test/support/jwt.js';
import { jwt } from '../jwt/index.js';
import { type AccessLogOptions, accessLog, TEMPLATE_VARIABLES } from './index.js';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

/** An access log writing into memory: the whole output, as a user's terminal would show it. */
function capturedLog(options: AccessLogOptions = {}) {
  let output = '';
  const middleware = accessLog({
    destination: {
      write(chunk: string) {
        output += chunk;
      },
    },
    ...options,
  });
  return {
    middleware,
    /** The output once `count` records were written (they come when responses close). */
    async lines(count: number): Promise<string[]> {
      const until = performance.now() + 2000;
      for (;;) {
        middleware.flush();
        const lines = output.split('\n');
        if (lines.length > count || performance.now() > until) return lines;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

const EVERY_VARIABLE = TEMPLATE_VARIABLES.map((name) => `$context.${name}`).join(' ');
const FORMATS = ['json', 'clf', EVERY_VARIABLE] as const;

describeEachFramework('accessLog() against hostile requests', (fw) => {
  describe('redactQuery', () => {
    it('redacts a listed name however the query spells it', async () => {
      const log = capturedLog();
      const app = await fw.start({
        use: [log.middleware],
        routes: [{ method: 'GET', path: '/q', reply: { body: 'ok' } }],
      });
      const query = [
        'token[]=s3cret-brackets',
        'token%5B%5D=s3cret-encoded-brackets',
        'password[old]=s3cret-nested',
        'TOKEN=s3cret-upper',
        '%74oken=s3cret-escaped',
        'a=1;token=s3cret-semicolon',
        'token=s3cret-first&token=s3cret-repeated',
        'page=2',
      ].join('&');
      expect((await app.request(`/q?${query}`)).status).toBe(200);
      const [line] = await log.lines(1);
      expect(line).not.toContain('s3cret');
      expect(JSON.parse(line as string).query).toBe(
        'token[]=[REDACTED]&token%5B%5D=[REDACTED]&password[old]=[REDACTED]&TOKEN=[REDACTED]' +
          '&%74oken=[REDACTED]&a=1;token=[REDACTED]&token=[REDACTED]&token=[REDACTED]&page=2',
      );
    });
  });

  describe('a principal id with line and paragraph separators (a JWT sub)', () => {
    const sub = 'mallory\u2028{"forged":1}\u2029\u0085\u001c\u007f"\\';
    for (const format of FORMATS) {
      const name = format.startsWith('$') ? 'every template variable' : format;
      it(`is written on one line that no splitter breaks (${name})`, async () => {
        const log = capturedLog({ format });
        const app = await fw.start({
          use: [log.middleware, jwt({ secret: SECRET, algorithms: ['HS256'] })],
          routes: [{ method: 'GET', path: '/me', reply: { body: 'ok' } }],
        });
        const token = hmacToken({ alg: 'HS256' }, { sub }, SECRET);
        const res = await app.request('/me', { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        const lines = await log.lines(1);
        expect(lines).toHaveLength(2);
        const line = lines[0] as string;
        // What Python's str.splitlines(), and so many log shippers, take for line ends.
        expect(line).not.toMatch(/[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/);
        if (format === 'json') expect(JSON.parse(line).principalId).toBe(sub);
        else expect(line).toContain('mallory\\u2028{\\"forged\\":1}\\u2029\\u0085\\u001c\\u007f');
      });
    }
  });
});
