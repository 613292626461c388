/** JSON pointers and local `$ref` resolution. */

import { describe, expect, it } from 'vitest';
import {
  childPointer,
  OpenApiDocumentError,
  pointerTokens,
  registerSource,
  resolveRef,
  valueAt,
} from './refs.js';

const pet = { type: 'object' };
const document = {
  components: {
    schemas: {
      Pet: pet,
      'a/b~c': { type: 'string' },
      'with space': { type: 'number' },
      Alias: { $ref: '#/components/schemas/Pet' },
      AliasOfAlias: { $ref: '#/components/schemas/Alias' },
      Loop1: { $ref: '#/components/schemas/Loop2' },
      Loop2: { $ref: '#/components/schemas/Loop1' },
      Self: { $ref: '#/components/schemas/Self' },
    },
  },
  list: [{ $ref: '#/components/schemas/Pet' }],
};
registerSource(document, 'api.yaml');

const at = '/paths/~1pets/get';

describe('childPointer() and pointerTokens()', () => {
  it('escape ~ and / both ways (RFC 6901 §3)', () => {
    const pointer = childPointer('/paths', '/pets/{id}', 'a~b');
    expect(pointer).toBe('/paths/~1pets~1{id}/a~0b');
    expect(pointerTokens(pointer)).toEqual(['paths', '/pets/{id}', 'a~b']);
  });

  it('refuse what is not a pointer', () => {
    expect(pointerTokens('paths')).toBeUndefined();
    expect(pointerTokens('/a~2')).toBeUndefined();
  });

  it('valueAt reads array indexes only in their canonical form', () => {
    expect(valueAt(document, ['list', '0'])).toEqual({ $ref: '#/components/schemas/Pet' });
    expect(valueAt(document, ['list', '00'])).toBeUndefined();
    expect(valueAt(document, ['components', 'toString'])).toBeUndefined();
  });
});

describe('resolveRef()', () => {
  it('returns a value that is not a ref as it is', () => {
    expect(resolveRef(document, pet, at)).toBe(pet);
  });

  it('follows a local ref', () => {
    expect(resolveRef(document, { $ref: '#/components/schemas/Pet' }, at)).toBe(pet);
  });

  it('follows chains of refs', () => {
    expect(resolveRef(document, { $ref: '#/components/schemas/AliasOfAlias' }, at)).toBe(pet);
  });

  it('unescapes ~0 and ~1 and percent-encoding in the fragment', () => {
    expect(resolveRef(document, { $ref: '#/components/schemas/a~1b~0c' }, at)).toEqual({
      type: 'string',
    });
    expect(resolveRef(document, { $ref: '#/components/schemas/with%20space' }, at)).toEqual({
      type: 'number',
    });
    expect(resolveRef(document, { $ref: '#/components/schemas/a%7E1b%7E0c' }, at)).toEqual({
      type: 'string',
    });
  });

  it('throws with the pointer of a dangling ref', () => {
    expect(() => resolveRef(document, { $ref: '#/components/schemas/Nope' }, at)).toThrow(
      'portcullis.openapi: api.yaml: /paths/~1pets/get/$ref: $ref "#/components/schemas/Nope" points to nothing in the document',
    );
  });

  it('names the ref inside a chain that dangles', () => {
    const broken = { ...document, components: { schemas: { A: { $ref: '#/nowhere' } } } };
    expect(() => resolveRef(broken, { $ref: '#/components/schemas/A' }, at)).toThrow(
      ': /components/schemas/A/$ref: $ref "#/nowhere" points to nothing',
    );
  });

  it('detects cycles', () => {
    expect(() => resolveRef(document, { $ref: '#/components/schemas/Loop1' }, at)).toThrow(
      '/components/schemas/Loop2/$ref: $ref cycle: #/paths/~1pets/get → #/components/schemas/Loop1 → #/components/schemas/Loop2 → #/components/schemas/Loop1',
    );
    const self = document.components.schemas.Self;
    expect(() => resolveRef(document, self, '/components/schemas/Self')).toThrow(
      '$ref cycle: #/components/schemas/Self → #/components/schemas/Self',
    );
  });

  it('refuses external refs, saying why', () => {
    for (const ref of ['pets.yaml#/Pet', 'https://example.com/api.json#/x', '//host/x']) {
      const error = (() => {
        try {
          resolveRef(document, { $ref: ref }, at);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(OpenApiDocumentError);
      expect((error as Error).message).toBe(
        `portcullis.openapi: api.yaml: /paths/~1pets/get/$ref: external reference ${JSON.stringify(ref)} is not supported: a gateway does not fetch files or URLs at start-up; bundle the document first (e.g. \`redocly bundle\`)`,
      );
    }
  });

  it('refuses a $ref that is not a string or not a pointer', () => {
    expect(() => resolveRef(document, { $ref: 42 }, at)).toThrow('/$ref: $ref must be a string');
    expect(() => resolveRef(document, { $ref: '#Pet' }, at)).toThrow('is not a JSON pointer');
    expect(() => resolveRef(document, { $ref: '#/%E0%A4%A' }, at)).toThrow(
      'has invalid percent-encoding',
    );
  });
});
