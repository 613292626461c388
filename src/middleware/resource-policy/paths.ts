/**
 * The request path a policy is matched against, in the two spellings that can reach a handler:
 * as the app's router matches it, and as an upstream resolves it.
 */

/**
 * The path relative to the stage: `path` without a leading `/{stage}` segment (how
 * `gateway.openapi()` mounts a stage), `/` when nothing is left. With `foldCase` the stage
 * segment is compared ignoring case, as a case-insensitive router would have matched it.
 */
export function stagePath(path: string, stage: string | undefined, foldCase: boolean): string {
  if (stage === undefined || path.length <= stage.length) return path;
  const after = stage.length + 1;
  if (path.charCodeAt(0) !== 47 /* / */ || (path.length > after && path.charCodeAt(after) !== 47))
    return path;
  const segment = path.slice(1, after);
  if (segment !== stage && !(foldCase && segment.toLowerCase() === stage.toLowerCase()))
    return path;
  return path.length === after ? '/' : path.slice(after);
}

/**
 * Whether `path` holds nothing an upstream could read otherwise than the router: no `%`, no `\`,
 * no `;`, no empty segment (`//`) and no segment starting with `.`. The common case: one scan.
 */
function isPlain(path: string): boolean {
  let previous = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 /* % */ || c === 92 /* \ */ || c === 59 /* ; */) return false;
    if (previous === 47 /* / */ && (c === 47 || c === 46) /* . */) return false;
    previous = c;
  }
  return true;
}

/**
 * The path as the most lenient upstream resolves it, or undefined when it cannot be read:
 * percent-decoded once (RFC 3986 §2.1; an upstream or a framework decodes `%61dmin` to `admin`
 * and often `%2F` to `/`), `\` read as `/` (as some servers do), each segment's parameters
 * (`;x`, §3.3) dropped (as servlet containers do: `/public/..;/admin` is their `/admin`), empty
 * segments merged (nginx's `merge_slashes`) and dot segments resolved (§5.2.4's
 * remove_dot_segments). A path that is not UTF-8 once decoded, or whose `..` climbs above the
 * root, is undefined: no Allow can be established for it, and every Deny covers it. `path` itself when it is plain (no allocation).
 *
 * The policy is matched against both spellings: a Deny of either denies, an Allow must hold for
 * both. Decoding more here can then only make a Deny reach further and an Allow narrower.
 */
export function resolvedPath(path: string): string | undefined {
  if (isPlain(path)) return path;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const segments = decoded.replaceAll('\\', '/').split('/');
  const kept: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const whole = segments[i]!;
    const semicolon = whole.indexOf(';');
    const segment = semicolon === -1 ? whole : whole.slice(0, semicolon);
    const last = i === segments.length - 1;
    if (segment === '..') {
      if (kept.length === 0) return undefined;
      kept.pop();
    } else if (segment !== '.' && segment !== '') {
      kept.push(segment);
      continue;
    }
    // A path ending in a dot segment or a `/` keeps its trailing slash (`/a/b/..` → `/a/`).
    if (last) kept.push('');
  }
  return `/${kept.join('/')}`;
}
