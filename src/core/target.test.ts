import { createRequire } from 'node:module';
import { parse as parseQuery } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { originForm, pathEnd, queryOf, searchParams, withoutFragment } from './target.js';

// The routers' own reader (Express and Koa both take the path and query from it).
const parseurl = createRequire(import.meta.url)('parseurl') as (req: { url: string }) => {
  pathname: string | null;
  query: string | null;
};

const ORIGIN_FORM = [
  '/',
  '/x',
  '/x?',
  '/x?a=1',
  '/x?a=1&b=2',
  '/x#',
  '/x#f',
  '/x#?a=1',
  '/x?a=1#f',
  '/x?a=1#f?b=2',
  '/x?#',
  '/x?#a=1',
  '/x??a=1',
  '/x?a=1?b=2',
  '/x#f#g',
  '/x##?a',
  '/a/b%3Fc?d=%23e',
  '/?',
  '/#',
  '?a',
  '?',
  '#?a',
];

const ABSOLUTE_FORM = [
  'http://h/x',
  'http://h/x?a=1',
  'http://h/x#?a=1',
  'http://h/x?a=1#f',
  'http://h?a=1',
  'http://h#?a=1',
];

describe('pathEnd() and queryOf()', () => {
  it.each(ORIGIN_FORM)('read %s as parseurl does', (target) => {
    const parsed = parseurl({ url: target });
    const end = pathEnd(target);
    expect(target.slice(0, end)).toBe(parsed.pathname ?? '');
    expect(queryOf(target) ?? null).toBe(parsed.query);
    expect(queryOf(target, end) ?? null).toBe(parsed.query);
  });

  it.each(ABSOLUTE_FORM)('read the query of %s as parseurl does', (target) => {
    expect(queryOf(target) ?? null).toBe(parseurl({ url: target }).query);
  });
});

describe('originForm()', () => {
  it.each([
    ...ABSOLUTE_FORM,
    'HTTP://h:8080/x?a=1',
    'http://u@h/x',
    'http://h',
    'http:///x',
    'http://../x',
  ])('reads the path and query of %s as parseurl does', (target) => {
    const parsed = parseurl({ url: target });
    const form = originForm(target);
    const end = pathEnd(form);
    expect(form.slice(0, end)).toBe(parsed.pathname ?? '');
    expect(queryOf(form, end) ?? null).toBe(parsed.query);
  });

  it('keeps an origin-form or asterisk-form target as it is', () => {
    for (const target of [...ORIGIN_FORM, '*']) expect(originForm(target)).toBe(target);
  });
});

describe('withoutFragment()', () => {
  it('drops everything from the first #, and keeps a target without one as it is', () => {
    expect(withoutFragment('/x?a=1#f?b#c')).toBe('/x?a=1');
    expect(withoutFragment('/x#?a=1')).toBe('/x');
    expect(withoutFragment('/x#')).toBe('/x');
    const target = '/x?a=1';
    expect(withoutFragment(target)).toBe(target);
  });
});

describe('searchParams()', () => {
  // Koa and Express 5 parse the query with querystring, Express 4 with qs: each keeps a leading `?`.
  it.each(['a=1', '?a=1', '??a=1', '?', 'a=1&?b=2', '?a=1&a=2'])(
    'reads the names of %s as querystring does',
    (query) => {
      expect([...new Set(searchParams(query).keys())]).toEqual(Object.keys(parseQuery(query)));
    },
  );
});
