/**
 * JSON pointers (RFC 6901) into an OpenAPI document, the errors that name them, and local
 * `$ref` resolution.
 */

/** How errors name a document given as an object (a file is named by its path). */
export const OBJECT_SOURCE = '<object>';

/** Where a document came from, for error messages: its file name, or `<object>`. */
const sources = new WeakMap<object, string>();

/** Records where `document` came from, so that errors raised later name it. */
export function registerSource(document: object, source: string): void {
  sources.set(document, source);
}

/** The file name `document` was loaded from, or `<object>` when it was given as an object. */
export function sourceOf(document: object): string {
  return sources.get(document) ?? OBJECT_SOURCE;
}

/** Thrown at start-up for what is wrong with a document; the message names the place. */
export class OpenApiDocumentError extends Error {
  readonly source: string;
  readonly pointer: string;
  constructor(source: string, pointer: string, problem: string) {
    // The root's pointer is the empty string (RFC 6901 §5), unreadable in a sentence.
    super(`portcullis.openapi: ${source}: ${pointer === '' ? '(root)' : pointer}: ${problem}`);
    this.name = 'OpenApiDocumentError';
    this.source = source;
    this.pointer = pointer;
  }
}

/** `portcullis.openapi: <source>: <pointer>: <problem>` for `document`. */
export function documentError(document: object, pointer: string, problem: string): Error {
  return new OpenApiDocumentError(sourceOf(document), pointer, problem);
}

/** One pointer token: `~` as `~0`, `/` as `~1` (RFC 6901 §3). */
export function escapePointerToken(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** `pointer` followed by each token, escaped: `childPointer('/paths', '/pets')` is `/paths/~1pets`. */
export function childPointer(pointer: string, ...tokens: ReadonlyArray<string | number>): string {
  let out = pointer;
  for (const token of tokens) out += `/${escapePointerToken(String(token))}`;
  return out;
}

/** The tokens of a JSON pointer, unescaped; undefined when it is not one. */
export function pointerTokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  for (const token of tokens) if (/~[^01]|~$/.test(token)) return undefined;
  return tokens.map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value at `tokens` inside `root`, or undefined when the path does not exist. */
export function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let value = root;
  for (const token of tokens) {
    if (typeof value !== 'object' || value === null) return undefined;
    if (Array.isArray(value)) {
      // RFC 6901 §4: array indexes are decimal without leading zeros.
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      value = value[Number(token)];
    } else {
      if (!Object.hasOwn(value, token)) return undefined;
      value = (value as Record<string, unknown>)[token];
    }
  }
  return value;
}

/** Whether `value` is a Reference Object: an object with a `$ref`. */
export function isReference(value: unknown): value is { $ref: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && '$ref' in value;
}

/**
 * The pointer a local `$ref` names (`#/components/schemas/Pet` → `/components/schemas/Pet`),
 * with its URI fragment percent-decoding undone (RFC 6901 §6). Throws for anything else:
 * refs to other files or URLs are refused, because a gateway reads its definition once at
 * start-up and must not fetch anything then (nor depend on a network to start).
 */
export function refPointer(document: object, ref: unknown, pointer: string): string {
  const at = childPointer(pointer, '$ref');
  if (typeof ref !== 'string') throw documentError(document, at, '$ref must be a string');
  if (!ref.startsWith('#')) {
    throw documentError(
      document,
      at,
      `external reference ${JSON.stringify(ref)} is not supported: a gateway does not fetch files or URLs at start-up; bundle the document first (e.g. \`redocly bundle\`)`,
    );
  }
  let fragment: string;
  try {
    fragment = decodeURIComponent(ref.slice(1));
  } catch {
    throw documentError(document, at, `${JSON.stringify(ref)} has invalid percent-encoding`);
  }
  if (pointerTokens(fragment) === undefined)
    throw documentError(document, at, `${JSON.stringify(ref)} is not a JSON pointer`);
  return fragment;
}

/**
 * `value` with its `$ref` followed, through chains of refs (a ref to a ref), until a value that
 * is not a Reference Object; `value` itself when it is none. `pointer` is where `value` sits,
 * named in errors: a ref that leads nowhere, a chain that comes back to itself, an external ref.
 * (A schema that contains a ref to itself further down, such as a tree, is not a chain: only
 * refs whose target is itself a bare ref are followed here.)
 */
export function resolveRef<T>(document: object, value: unknown, pointer: string): T {
  return followRef(document, value, pointer).value as T;
}

/** `resolveRef`, also giving the pointer of where the value was found (`pointer` when no ref). */
export function followRef(
  document: object,
  value: unknown,
  pointer: string,
): { value: unknown; pointer: string } {
  let current = value;
  let at = pointer;
  // Starting where `value` sits, so that a cycle through it reads A → B → A.
  const seen: string[] = [pointer];
  while (isReference(current)) {
    const target = refPointer(document, current.$ref, at);
    if (seen.includes(target)) {
      throw documentError(
        document,
        childPointer(at, '$ref'),
        `$ref cycle: ${[...seen, target].map((p) => `#${p}`).join(' → ')}`,
      );
    }
    seen.push(target);
    const next = valueAt(document, pointerTokens(target)!);
    if (next === undefined) {
      throw documentError(
        document,
        childPointer(at, '$ref'),
        `$ref ${JSON.stringify(current.$ref)} points to nothing in the document`,
      );
    }
    current = next;
    at = target;
  }
  return { value: current, pointer: at };
}
