/** Start-up validation of options: every error names the middleware and the option. */

/** Formats a value for an error message without dumping large objects. */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** A `TypeError` whose message names the option (`portcullis.cors: option "maxAge" ...`). */
export function optionTypeError(
  scope: string,
  option: string,
  expected: string,
  got: unknown,
): TypeError {
  return new TypeError(
    `portcullis.${scope}: option "${option}" must be ${expected}, got ${describe(got)}`,
  );
}

/** A `RangeError` whose message names the option. */
export function optionRangeError(
  scope: string,
  option: string,
  expected: string,
  got: unknown,
): RangeError {
  return new RangeError(
    `portcullis.${scope}: option "${option}" must be ${expected}, got ${describe(got)}`,
  );
}

/** Rejects option names the middleware does not know: a typo must not silently mean "default". */
export function assertKnownOptions(scope: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new TypeError(
        `portcullis.${scope}: unknown option "${name}" (known: ${known.join(', ')})`,
      );
    }
  }
}

/** Options must be a plain object (or omitted). */
export function assertOptionsObject(scope: string, options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`portcullis.${scope}: options must be an object, got ${describe(options)}`);
  }
}

export function assertBoolean(
  scope: string,
  option: string,
  value: unknown,
): asserts value is boolean {
  if (typeof value !== 'boolean') throw optionTypeError(scope, option, 'a boolean', value);
}

interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Words for the error message, e.g. "a whole number of seconds from 0". */
  expected: string;
}

export function assertNumber(
  scope: string,
  option: string,
  value: unknown,
  rule: NumberRule,
): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw optionTypeError(scope, option, rule.expected, value);
  const outOfRange =
    !Number.isFinite(value) ||
    (rule.integer === true && !Number.isInteger(value)) ||
    (rule.min !== undefined && value < rule.min) ||
    (rule.max !== undefined && value > rule.max);
  if (outOfRange) throw optionRangeError(scope, option, rule.expected, value);
}

/** RFC 9110 §5.6.2 token: the characters allowed in header names and methods. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Accepts a list given as an array or a comma-separated string of HTTP tokens and returns
 * the normalised array.
 */
export function tokenList(scope: string, option: string, value: unknown): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items))
    throw optionTypeError(scope, option, 'an array of strings or a comma-separated string', value);
  const out: string[] = [];
  for (const item of items) {
    const token = typeof item === 'string' ? item.trim() : item;
    if (typeof token !== 'string' || !HTTP_TOKEN.test(token)) {
      throw optionTypeError(scope, option, 'a list of HTTP tokens (header or method names)', item);
    }
    out.push(token);
  }
  return out;
}

/** `{ a: undefined }` means "default", as if the key were absent. Never mutates `options`. */
export function stripUndefined<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(options) as Array<keyof T>) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}
