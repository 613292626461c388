/** Proves a contestant answers correctly before it is measured: status, key headers and body. */

import http from 'node:http';

/** One request over a fresh connection; resolves `{ status, headers, body }`. */
export function request(port, { method, path, headers }) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Problems of `answer` against `expect` (`headers` values: a string, a RegExp, or `true` for "present"). */
export function mismatches(answer, expect) {
  const problems = [];
  if (answer.status !== expect.status)
    problems.push(`status ${answer.status}, expected ${expect.status}`);
  for (const [name, want] of Object.entries(expect.headers ?? {})) {
    const got = answer.headers[name];
    const value = Array.isArray(got) ? got.join(', ') : got;
    const fine =
      want === true
        ? value !== undefined
        : want instanceof RegExp
          ? value !== undefined && want.test(value)
          : value === want;
    if (!fine)
      problems.push(
        `header ${name}: ${value === undefined ? 'missing' : JSON.stringify(value)}, expected ${want}`,
      );
  }
  if (expect.body && !expect.body.test(answer.body))
    problems.push(`body ${JSON.stringify(answer.body.slice(0, 200))}, expected ${expect.body}`);
  return problems;
}

/**
 * Sends the case's request `times` times (the first fills a cache, the rest are the quick mode's
 * few warm-up requests) and checks the last answer, then any extra checks (`also`). Throws with
 * every problem found.
 */
export async function checkCase(testCase, port, shape, times = 3) {
  let answer;
  for (let i = 0; i < times; i++) answer = await request(port, shape);
  const problems = mismatches(answer, testCase.expect).map(
    (p) => `${shape.method} ${shape.path}: ${p}`,
  );
  for (const extra of testCase.also ?? []) {
    const other = await request(port, extra.request);
    for (const p of mismatches(other, extra.expect))
      problems.push(
        `${extra.request.method} ${extra.request.path} (${JSON.stringify(extra.request.headers)}): ${p}`,
      );
  }
  if (problems.length > 0) {
    const shown = Object.entries(answer.headers)
      .map(([k, v]) => `    ${k}: ${v}`)
      .join('\n');
    throw new Error(
      `"${testCase.name}" does not answer correctly, so it is not measured:\n  - ${problems.join('\n  - ')}\n  last answer: ${answer.status}\n${shown}\n    body: ${answer.body.slice(0, 200)}`,
    );
  }
}
