/**
 * Loading documents (object, JSON, YAML) and the start-up errors for malformed ones: each
 * names the source and the JSON pointer of what is wrong, in words.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOpenApiDocument } from './document.js';
import { compileRequestValidator, selectValidator } from './validation.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/validation.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'portcullis-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach into documents freely to break them.
type Doc = Record<string, unknown> & { paths: Record<string, Record<string, any>> };

/** A minimal valid 3.0 document, fresh for each test to change. */
function minimal(): Doc {
  return {
    openapi: '3.0.3',
    info: { title: 'Pets', version: '1' },
    paths: { '/pets': { get: { responses: { '200': { description: 'ok' } } } } },
  };
}

/** The message `loadOpenApiDocument` throws for `input`. */
function errorOf(input: object | string): string {
  try {
    loadOpenApiDocument(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the document loaded');
}

function withChange(change: (doc: Doc) => void): Doc {
  const doc = minimal();
  change(doc);
  return doc;
}

describe('loadOpenApiDocument()', () => {
  describe('loading', () => {
    it('takes an object, copies it and freezes the copy, leaving the caller’s alone', () => {
      const input = minimal();
      const { document, source } = loadOpenApiDocument(input);
      expect(source).toBe('<object>');
      expect(document).toEqual(input);
      expect(document).not.toBe(input);
      expect(Object.isFrozen(document)).toBe(true);
      expect(Object.isFrozen((document.paths as Doc['paths'])['/pets']!.get)).toBe(true);
      expect(Object.isFrozen(input)).toBe(false);
      input.paths['/pets']!.get.summary = 'still mine';
      expect((document.paths as Doc['paths'])['/pets']!.get.summary).toBeUndefined();
    });

    it('reads a JSON file', () => {
      const path = file('api.json', JSON.stringify(minimal()));
      const { document, source } = loadOpenApiDocument(path);
      expect(source).toBe(path);
      expect(document).toEqual(minimal());
    });

    it('reads a YAML file (.yaml and .yml), merge keys included', () => {
      const { document } = loadOpenApiDocument(FIXTURE);
      expect(Object.keys(document.paths as object)).toEqual([
        '/pets/{id}',
        '/notes',
        '/trees',
        '/uploads',
      ]);
      const yml = file(
        'api.yml',
        [
          'openapi: 3.0.3',
          'info: { title: Pets, version: "1" }',
          'x-defaults: &ok { description: ok }',
          'paths:',
          '  /pets:',
          '    get:',
          '      responses:',
          "        '200': { <<: *ok }",
        ].join('\n'),
      );
      const loaded = loadOpenApiDocument(yml).document as Doc;
      expect(loaded.paths['/pets']!.get.responses['200']).toEqual({ description: 'ok' });
    });

    it('keeps a "__proto__" key as data', () => {
      const path = file(
        'proto.json',
        JSON.stringify(minimal()).replace(
          '{',
          '{"x-__proto__": 1, "__proto__": {"polluted": true}, ',
        ),
      );
      // The official schema refuses the key (additionalProperties), naming it.
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: /__proto__: is not allowed here (known: openapi, info, externalDocs, servers, security, tags, paths, components, x-…)`,
      );
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });

    it('refuses a file that is not .json, .yaml or .yml', () => {
      expect(() => loadOpenApiDocument(file('api.txt', '{}'))).toThrow(TypeError);
    });

    it('says which file it cannot read', () => {
      expect(errorOf(join(dir, 'missing.yaml'))).toMatch(
        /^portcullis\.openapi: cannot read .*missing\.yaml: ENOENT/,
      );
    });

    it('accepts OpenAPI 3.1 with a structural check', () => {
      expect(() => loadOpenApiDocument({ ...minimal(), openapi: '3.1.0' })).not.toThrow();
      const doc = withChange((d) => {
        d.openapi = '3.1.0';
        d.paths['/pets']!.get.parameters = [{ name: 'id', in: 'path' }];
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /paths/~1pets/get/parameters/0/required: must be true for a path parameter',
      );
    });
  });

  describe('malformed documents fail with the pointer of the problem', () => {
    it('missing openapi', () => {
      const doc = withChange((d) => {
        delete d.openapi;
      });
      expect(errorOf(doc)).toBe('portcullis.openapi: <object>: /openapi: is required');
    });

    it('a Swagger 2.0 document, and an unknown version', () => {
      expect(errorOf({ swagger: '2.0', info: {}, paths: {} })).toMatch(
        /^portcullis\.openapi: <object>: \/swagger: Swagger 2\.0 is not supported/,
      );
      expect(errorOf({ ...minimal(), openapi: '4.0.0' })).toBe(
        'portcullis.openapi: <object>: /openapi: version "4.0.0" is not supported (3.0.x or 3.1.x)',
      );
    });

    it('a paths key that is not a path', () => {
      const doc = withChange((d) => {
        d.paths.pets = {};
      });
      expect(errorOf(doc)).toBe(
        "portcullis.openapi: <object>: /paths/pets: is not a path: paths start with '/'",
      );
    });

    it('an operation without responses (a YAML file)', () => {
      const path = file(
        'api.yaml',
        'openapi: 3.0.3\ninfo: { title: Pets, version: "1" }\npaths:\n  /pets:\n    get:\n      responses: {}\n',
      );
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: /paths/~1pets/get/responses: must have at least one response`,
      );
    });

    it('a wrong type deep inside a schema', () => {
      const doc = withChange((d) => {
        d.components = {
          schemas: {
            Pet: {
              type: 'object',
              properties: { tags: { type: 'array', items: { type: 'object', required: 'name' } } },
            },
          },
        };
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /components/schemas/Pet/properties/tags/items/required: must be an array',
      );
    });

    it('a response without description, under a oneOf of Reference and Response', () => {
      const doc = withChange((d) => {
        d.paths['/pets']!.get.responses['200'] = { content: {} };
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /paths/~1pets/get/responses/200/description: is required',
      );
    });

    it('parameters: an unknown location, a path parameter not required, no schema', () => {
      const param = (p: object) =>
        withChange((d) => {
          d.paths['/pets']!.get.parameters = [p];
        });
      const at = 'portcullis.openapi: <object>: /paths/~1pets/get/parameters/0';
      expect(errorOf(param({ name: 'a', in: 'paht', schema: {} }))).toBe(
        `${at}/in: must be one of path, query, header, cookie`,
      );
      expect(errorOf(param({ name: 'a', in: 'path', required: false, schema: {} }))).toBe(
        `${at}/required: must be true`,
      );
      expect(errorOf(param({ name: 'a', in: 'query' }))).toBe(
        `${at}: Schema and content are mutually exclusive, at least one is required`,
      );
      expect(errorOf(param({ name: 'a', in: 'query', schema: { pattern: '(' } }))).toBe(
        `${at}/schema/pattern: must be a valid regex`,
      );
    });

    it('extensions: an integration of an unknown type, without uri, with a uri not a string', () => {
      const integration = (value: object) =>
        withChange((d) => {
          d.paths['/pets']!.get['x-amazon-apigateway-integration'] = value;
        });
      const at = 'portcullis.openapi: <object>: /paths/~1pets/get/x-amazon-apigateway-integration';
      expect(errorOf(integration({ type: 'lambda', uri: 'arn:x' }))).toBe(
        `${at}/type: must be one of http, http_proxy, aws, aws_proxy, mock (in lower or upper case)`,
      );
      expect(errorOf(integration({ type: 'http_proxy' }))).toBe(`${at}/uri: is required`);
      expect(errorOf(integration({ type: 'HTTP_PROXY', uri: 42 }))).toBe(
        `${at}/uri: must be a string`,
      );
      expect(errorOf(integration({ type: 3, uri: 'x' }))).toBe(`${at}/type: must be a string`);
      expect(() => loadOpenApiDocument(integration({ type: 'mock' }))).not.toThrow();
    });

    it('extensions: an integration shared through components.x-amazon-apigateway-integrations', () => {
      const shared = (ref: string, integration: object) =>
        withChange((d) => {
          d.components = { 'x-amazon-apigateway-integrations': { pets: integration } };
          d.paths['/pets']!.get['x-amazon-apigateway-integration'] = { $ref: ref };
        });
      const ok = { type: 'http_proxy', uri: 'https://example.com/pets' };
      const ref = '#/components/x-amazon-apigateway-integrations/pets';
      expect(() => loadOpenApiDocument(shared(ref, ok))).not.toThrow();
      expect(errorOf(shared(ref, { type: 'http_proxy' }))).toBe(
        'portcullis.openapi: <object>: /components/x-amazon-apigateway-integrations/pets/uri: is required',
      );
      expect(errorOf(shared(`${ref}s`, ok))).toBe(
        `portcullis.openapi: <object>: /paths/~1pets/get/x-amazon-apigateway-integration/$ref: $ref "${ref}s" points to nothing in the document`,
      );
    });

    it('extensions: a request validator with a misspelt flag, an authorizer TTL out of range', () => {
      const validators = withChange((d) => {
        d['x-amazon-apigateway-request-validators'] = {
          all: { validateRequestBody: true, validateRequestParams: true },
        };
      });
      expect(errorOf(validators)).toBe(
        'portcullis.openapi: <object>: /x-amazon-apigateway-request-validators/all/validateRequestParams: is not allowed here (known: validateRequestBody, validateRequestParameters)',
      );
      const authorizer = withChange((d) => {
        d.components = {
          securitySchemes: {
            fn: {
              type: 'apiKey',
              name: 'Authorization',
              in: 'header',
              'x-amazon-apigateway-authorizer': {
                type: 'token',
                authorizerResultTtlInSeconds: 7200,
              },
            },
          },
        };
      });
      expect(errorOf(authorizer)).toBe(
        'portcullis.openapi: <object>: /components/securitySchemes/fn/x-amazon-apigateway-authorizer/authorizerResultTtlInSeconds: must be <= 3600',
      );
    });

    it('x-amazon-apigateway-any-method is checked as an operation', () => {
      const doc = withChange((d) => {
        d.paths['/pets']!['x-amazon-apigateway-any-method'] = { responses: {} };
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /paths/~1pets/x-amazon-apigateway-any-method/responses: must have at least one response',
      );
    });

    it('a dangling ref', () => {
      const doc = withChange((d) => {
        d.paths['/pets']!.get.responses['200'] = { $ref: '#/components/responses/Nope' };
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /paths/~1pets/get/responses/200/$ref: $ref "#/components/responses/Nope" points to nothing in the document',
      );
    });

    it('a ref cycle', () => {
      const doc = withChange((d) => {
        d.components = {
          schemas: {
            A: { $ref: '#/components/schemas/B' },
            B: { $ref: '#/components/schemas/A' },
          },
        };
      });
      expect(errorOf(doc)).toBe(
        'portcullis.openapi: <object>: /components/schemas/B/$ref: $ref cycle: #/components/schemas/A → #/components/schemas/B → #/components/schemas/A',
      );
    });

    it('an external ref', () => {
      const doc = withChange((d) => {
        d.paths['/pets']!.get.responses['200'] = { $ref: 'responses.yaml#/Ok' };
      });
      expect(errorOf(doc)).toMatch(
        /^portcullis\.openapi: <object>: \/paths\/~1pets\/get\/responses\/200\/\$ref: external reference "responses\.yaml#\/Ok" is not supported: a gateway does not fetch/,
      );
    });

    it('a $ref in an example is data, not a reference', () => {
      const doc = withChange((d) => {
        d.paths['/pets']!.get.responses['200'].content = {
          'application/json': { example: { $ref: 'not/a/ref' } },
        };
      });
      expect(() => loadOpenApiDocument(doc)).not.toThrow();
    });

    it('a recursive schema (a tree) is fine', () => {
      const doc = withChange((d) => {
        d.components = {
          schemas: {
            Node: {
              type: 'object',
              properties: {
                children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
              },
            },
          },
        };
      });
      expect(() => loadOpenApiDocument(doc)).not.toThrow();
    });

    it('a value JSON cannot carry, and an object that contains itself', () => {
      const fn = withChange((d) => {
        d.info = { title: 'Pets', version: () => '1' };
      });
      expect(errorOf(fn)).toBe(
        'portcullis.openapi: <object>: /info/version: a function is not JSON data',
      );
      const loop = minimal() as Doc & { 'x-self'?: unknown };
      loop['x-self'] = { loop };
      expect(errorOf(loop)).toBe(
        'portcullis.openapi: <object>: /x-self/loop: contains itself (a circular structure)',
      );
    });
  });

  describe('syntax errors give the line and column', () => {
    it('YAML', () => {
      const path = file(
        'broken.yaml',
        'openapi: 3.0.3\ninfo:\n  title: x\n   version: [\npaths: {}\n',
      );
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: line 3, column 10: invalid YAML: Nested mappings are not allowed in compact mappings`,
      );
    });

    it('a YAML key given twice', () => {
      const path = file(
        'twice.yaml',
        'openapi: 3.0.3\ninfo: { title: x, version: "1" }\npaths: {}\npaths: {}\n',
      );
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: line 4, column 1: invalid YAML: Map keys must be unique`,
      );
    });

    it('a YAML tag it does not know', () => {
      const path = file('tag.yaml', 'openapi: !!js/function "() => 1"\n');
      expect(errorOf(path)).toMatch(
        /: line 1, column 10: invalid YAML: Unresolved tag: tag:yaml\.org,2002:js\/function$/,
      );
    });

    it('YAML aliases expanding beyond the limit (billion laughs)', () => {
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        const next = String.fromCharCode(97 + i);
        lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
      }
      const path = file('laughs.yaml', `${lines.join('\n')}\n`);
      expect(errorOf(path)).toMatch(
        /: YAML: Excessive alias count indicates a resource exhaustion attack$/,
      );
    });

    it('a YAML alias of an enclosing node', () => {
      const path = file('self.yaml', 'openapi: 3.0.3\nx-loop: &loop\n  again: *loop\n');
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: /x-loop/again: contains itself (a circular structure)`,
      );
    });

    it('JSON', () => {
      const path = file(
        'broken.json',
        '{\n  "openapi": "3.0.3",\n  "info": {\n    "title": "x",\n  }\n}',
      );
      expect(errorOf(path)).toBe(
        `portcullis.openapi: ${path}: line 5, column 3: invalid JSON: Expected double-quoted property name in JSON at position 56`,
      );
    });
  });
});

describe('selectValidator()', () => {
  const { document } = loadOpenApiDocument(FIXTURE);
  const pets = (document.paths as Doc['paths'])['/pets/{id}']!;

  it('takes the operation’s validator, else the document’s', () => {
    expect(selectValidator(document, pets.get, '/paths/~1pets~1{id}/get')).toEqual({
      validateRequestBody: false,
      validateRequestParameters: true,
    });
    expect(selectValidator(document, pets.put, '/paths/~1pets~1{id}/put')).toEqual({
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    expect(selectValidator(minimal(), {}, '/paths/~1pets/get')).toBeUndefined();
  });

  it('throws with the pointer of a name the document does not define', () => {
    const operation = { 'x-amazon-apigateway-request-validator': 'strict' };
    expect(() => selectValidator(document, operation, '/paths/~1pets~1{id}/get')).toThrow(
      `portcullis.openapi: ${FIXTURE}: /paths/~1pets~1{id}/get/x-amazon-apigateway-request-validator: names the request validator "strict", which x-amazon-apigateway-request-validators does not define`,
    );
    const noValidators = { ...minimal(), 'x-amazon-apigateway-request-validator': 'all' };
    expect(errorOf(noValidators)).toBe(
      'portcullis.openapi: <object>: /x-amazon-apigateway-request-validator: names the request validator "all", which x-amazon-apigateway-request-validators does not define',
    );
    const misnamed = withChange((d) => {
      d.paths['/pets']!.get['x-amazon-apigateway-request-validator'] = 'strict';
    });
    expect(errorOf(misnamed)).toBe(
      'portcullis.openapi: <object>: /paths/~1pets/get/x-amazon-apigateway-request-validator: names the request validator "strict", which x-amazon-apigateway-request-validators does not define',
    );
  });
});

describe('compileRequestValidator() at start-up', () => {
  it('names the schema ajv cannot compile', () => {
    const { document } = loadOpenApiDocument(
      withChange((d) => {
        d.paths['/pets']!.post = {
          requestBody: {
            content: {
              'application/json': { schema: { properties: { a: { $ref: '#/info/title' } } } },
            },
          },
          responses: { '200': { description: 'ok' } },
        };
      }),
    );
    expect(() =>
      compileRequestValidator({
        document,
        pointer: '/paths/~1pets/post',
        requestBody: (document.paths as Doc['paths'])['/pets']!.post.requestBody,
        validateRequestBody: true,
        validateRequestParameters: false,
      }),
    ).toThrow(
      /^portcullis\.openapi: <object>: \/paths\/~1pets\/post\/requestBody\/content\/application~1json\/schema: the schema does not compile: /,
    );
  });
});
