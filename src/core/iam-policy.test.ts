import { describe, expect, it } from 'vitest';
import { preparedMatch, preparePattern, wildcardMatch, wildcardMatchParts } from './iam-policy.js';

describe('wildcardMatchParts()', () => {
  it('matches the three parts as one text, a * crossing from one into the next', () => {
    const cases: Array<[pattern: string, parts: [string, string, string], matches: boolean]> = [
      ['api/prod/GET/pets', ['api/prod/', 'GET', '/pets'], true],
      ['api/*/pets', ['api/prod/', 'GET', '/pets'], true],
      ['api/*/GET/*', ['api/prod/', 'GET', '/'], true],
      ['api/*/GET/*', ['api/prod/', 'POST', '/pets'], false],
      ['api/prod/?ET/pets', ['api/prod/', 'GET', '/pets'], true],
      ['api/prod/GET/pets', ['api/prod/', 'GET', '/pets/'], false],
      ['*', ['', '', ''], true],
      ['', ['', '', ''], true],
      ['a', ['', '', ''], false],
    ];
    for (const [pattern, [a, b, c], matches] of cases) {
      expect(wildcardMatchParts(pattern, a, b, c, false), `${pattern} ~ ${a}${b}${c}`).toBe(
        matches,
      );
      expect(wildcardMatch(pattern, a + b + c), `${pattern} ~ ${a}${b}${c}`).toBe(matches);
      expect(preparedMatch(preparePattern(pattern), a, b, c, false), `prepared ${pattern}`).toBe(
        matches,
      );
    }
  });

  it('folds the capitals of every part when asked', () => {
    expect(wildcardMatchParts('api/prod/get/admin', 'API/prod/', 'GET', '/ADMIN', true)).toBe(true);
    expect(wildcardMatchParts('api/prod/get/admin', 'API/prod/', 'GET', '/ADMIN', false)).toBe(
      false,
    );
  });

  it('answers as the general matcher when the tail and length checks run first', () => {
    const patterns = [
      'api/*/GET/pets',
      'api/*/GET/pet?',
      'api/prod/GET/pets',
      'api/*',
      '*s',
      '?',
      '**',
      'api/*/*/admin*',
    ];
    const texts: Array<[string, string, string]> = [
      ['api/prod/', 'GET', '/pets'],
      ['api/prod/', 'GET', '/pet'],
      ['api/prod/', 'POST', '/pets'],
      ['api/prod/', 'GET', '/admin/x'],
      ['', '', 's'],
      ['', '', ''],
    ];
    for (const pattern of patterns)
      for (const [a, b, c] of texts)
        expect(
          preparedMatch(preparePattern(pattern), a, b, c, false),
          `${pattern} ~ ${a}${b}${c}`,
        ).toBe(wildcardMatchParts(pattern, a, b, c, false));
  });
});
