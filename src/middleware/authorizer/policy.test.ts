import { describe, expect, it } from 'vitest';
import { evaluate, toDecision, wildcardMatch } from './policy.js';

describe('wildcardMatch()', () => {
  it('matches * as any run of characters and ? as one, anchored at both ends', () => {
    const cases: Array<[pattern: string, text: string, matches: boolean]> = [
      ['a*b', 'ab', true],
      ['a*b', 'a/x/y/b', true],
      ['a*b', 'a*xb', true],
      ['a*b', 'a/x/bc', false],
      ['a?c', 'abc', true],
      ['a?c', 'ac', false],
      ['*', '', true],
      ['**', 'anything', true],
      ['abc', 'abcd', false],
      ['abcd', 'abc', false],
      ['arn:*/GET/pets/*', 'arn:x/GET/pets/1/toys', true],
      ['arn:*/GET/pets/*', 'arn:x/GET/pets', false],
    ];
    for (const [pattern, text, matches] of cases)
      expect(wildcardMatch(pattern, text), `${pattern} ~ ${text}`).toBe(matches);
  });

  it('stays fast on a client path built to make a backtracking matcher run for minutes', () => {
    const path = 'a'.repeat(16_000);
    const began = performance.now();
    expect(wildcardMatch('*a*a*a*a*a*a*b', path)).toBe(false);
    expect(performance.now() - began).toBeLessThan(2_000);
  });
});

describe('evaluate()', () => {
  const policy = (statements: unknown, caseSensitive = true) =>
    toDecision({ principalId: 'p', policyDocument: { Statement: statements } }, caseSensitive);

  it('denies explicitly when any Deny matches, whatever the Allows', () => {
    const decision = policy([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: 'x/DELETE/*' },
    ]);
    expect(evaluate(decision, 'x/DELETE/pets', undefined)).toBe('explicitDeny');
    expect(evaluate(decision, 'x/GET/pets', undefined)).toBe('allow');
  });

  it('denies implicitly without a matching Allow, and takes a single Statement object', () => {
    const decision = policy({
      Effect: 'Allow',
      Action: 'EXECUTE-API:INVOKE',
      Resource: 'x/GET/pets',
    });
    expect(evaluate(decision, 'x/GET/pets', undefined)).toBe('allow');
    expect(evaluate(decision, 'x/GET/pets/1', undefined)).toBe('implicitDeny');
  });

  it('folds the case of resources when routing is case-insensitive', () => {
    const decision = policy(
      [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'x/GET/Pets' }],
      false,
    );
    expect(evaluate(decision, 'x/GET/PETS', undefined)).toBe('allow');
    expect(evaluate(decision, 'x/GET/PETS/1', undefined)).toBe('implicitDeny');
  });
});
