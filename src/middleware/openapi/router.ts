/**
 * Routing by the document's paths: a segment trie built once at start-up, matched per request
 * with API Gateway's precedence (a static segment before a `{param}`, a `{param}` before a
 * greedy `{proxy+}`), backtracking when a more specific branch leads nowhere.
 */

/** A path of the document, as the trie keeps it. */
export interface Resource<T> {
  /** The template as the document writes it: `/pets/{id}`. */
  readonly path: string;
  /** What the caller attached (the operations by method). */
  readonly value: T;
}

/** A resource that matched, with its parameters decoded. */
export interface RouteMatch<T> {
  readonly resource: Resource<T>;
  readonly pathParameters: Record<string, string>;
}

/** Why a path matched nothing: no resource, or an escape that cannot be decoded (answer 400). */
export type RouteMiss = 'none' | 'malformed';

interface TrieNode<T> {
  readonly statics: Map<string, TrieNode<T>>;
  param: { readonly name: string; readonly node: TrieNode<T> } | undefined;
  greedy: { readonly name: string; readonly resource: Resource<T> } | undefined;
  resource: Resource<T> | undefined;
}

const newNode = <T>(): TrieNode<T> => ({
  statics: new Map(),
  param: undefined,
  greedy: undefined,
  resource: undefined,
});

const PARAM = /^\{([A-Za-z0-9._-]+)\}$/;
const GREEDY = /^\{([A-Za-z0-9._-]+)\+\}$/;

/** The segments of a template (`/a/{b}` → `['a', '{b}']`); `/` has none. */
function templateSegments(path: string): string[] {
  return path === '/' ? [] : path.replace(/^\/+|\/+$/g, '').split('/');
}

/**
 * Compiles the resources into a matcher. Throws (the error `fail` makes) on a
 * template API Gateway refuses: a greedy segment before the end, two parameter names at one
 * place, the same path twice.
 */
export class Router<T> {
  private readonly root: TrieNode<T> = newNode();

  constructor(
    private readonly fail: (path: string, message: string) => Error,
    private readonly accepts: Accepts<T>,
  ) {}

  add(path: string, value: T): void {
    const segments = templateSegments(path);
    const resource: Resource<T> = { path, value };
    let node = this.root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const greedy = GREEDY.exec(segment);
      if (greedy !== null) {
        if (i !== segments.length - 1)
          throw this.error(path, 'a greedy path variable must be the last segment');
        if (node.greedy !== undefined) throw this.error(path, 'duplicates a greedy path');
        node.greedy = { name: greedy[1]!, resource };
        return;
      }
      node = this.child(node, segment, path);
    }
    if (node.resource !== undefined)
      throw this.error(path, `duplicates the path "${node.resource.path}"`);
    node.resource = resource;
  }

  private child(node: TrieNode<T>, segment: string, path: string): TrieNode<T> {
    const param = PARAM.exec(segment);
    if (param === null) {
      if (segment.includes('{') || segment.includes('}'))
        throw this.error(path, `"${segment}" is not a path variable ({name} or {name+})`);
      let next = node.statics.get(segment);
      if (next === undefined) {
        next = newNode();
        node.statics.set(segment, next);
      }
      return next;
    }
    const name = param[1]!;
    if (node.param === undefined) node.param = { name, node: newNode() };
    else if (node.param.name !== name)
      throw this.error(path, `"{${name}}" and "{${node.param.name}}" at the same place`);
    return node.param.node;
  }

  private error(path: string, message: string): Error {
    return this.fail(path, message);
  }

  /**
   * The resource `path` (raw, as sent: percent-encoded, no query) falls on. Segments are
   * percent-decoded once; a decoded `/` stays inside its parameter. A trailing slash is ignored.
   */
  match(path: string, method: string): RouteMatch<T> | RouteMiss {
    // The asterisk form (`OPTIONS *`) names no resource; read as a path it would be the root's.
    if (path !== '' && path.charCodeAt(0) !== 0x2f /* / */) return 'none';
    const raw = path === '/' || path === '' ? [] : path.slice(1).split('/');
    if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
    const decoded = decodeSegments(raw);
    if (decoded === undefined) return 'malformed';
    const params: Array<[string, string]> = [];
    // The most specific resource that takes the request's method; else the most specific one
    // (which then answers for a method it does not define).
    let resource = walk(this.root, decoded, 0, params, this.accepts, method);
    if (resource === undefined) {
      params.length = 0;
      resource = walk(this.root, decoded, 0, params, always, method);
    }
    if (resource === undefined) return 'none';
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of params) pathParameters[name] = value;
    return { resource, pathParameters };
  }
}

/** Whether a resource defines a method. */
export type Accepts<T> = (value: T, method: string) => boolean;

const always = (): boolean => true;

/** Each segment percent-decoded (only those holding a `%`), or undefined for a malformed escape. */
function decodeSegments(raw: string[]): string[] | undefined {
  for (let i = 0; i < raw.length; i++) {
    const segment = raw[i]!;
    if (!segment.includes('%')) continue;
    try {
      raw[i] = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
  }
  return raw;
}

/** Depth-first, most specific branch first; `params` holds the captures of the current branch. */
function walk<T>(
  node: TrieNode<T>,
  segments: readonly string[],
  i: number,
  params: Array<[string, string]>,
  accepts: Accepts<T>,
  method: string,
): Resource<T> | undefined {
  if (i === segments.length)
    return node.resource !== undefined && accepts(node.resource.value, method)
      ? node.resource
      : undefined;
  const segment = segments[i]!;
  const exact = node.statics.get(segment);
  if (exact !== undefined) {
    const found = walk(exact, segments, i + 1, params, accepts, method);
    if (found !== undefined) return found;
  }
  // An empty or dot segment (`//`, `..`, `%2e%2e`) never fills a variable: substituted into an
  // integration's URI it would name another resource than the one matched.
  if (isUnfit(segment)) return undefined;
  if (node.param !== undefined) {
    params.push([node.param.name, segment]);
    const found = walk(node.param.node, segments, i + 1, params, accepts, method);
    if (found !== undefined) return found;
    params.pop();
  }
  if (node.greedy !== undefined && accepts(node.greedy.resource.value, method)) {
    for (let j = i + 1; j < segments.length; j++) if (isUnfit(segments[j]!)) return undefined;
    params.push([node.greedy.name, segments.slice(i).join('/')]);
    return node.greedy.resource;
  }
  return undefined;
}

function isUnfit(segment: string): boolean {
  return segment === '' || segment === '.' || segment === '..';
}
