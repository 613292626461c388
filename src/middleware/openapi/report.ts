/**
 * What the document uses and is not run as written: collected while compiling, reported once at
 * start-up with JSON pointers (RFC 6901), or thrown with `strict: true`.
 */

import type { UnsupportedItem, UnsupportedReport } from './options.js';
import { childPointer, OpenApiDocumentError } from './refs.js';

const PREFIX = 'x-amazon-apigateway-';

/** The extensions run by `openapi()`, or accepted because they change nothing a request sees. */
const KNOWN_EXTENSIONS = new Set([
  'any-method',
  'api-key-source',
  'authorizer',
  'authtype',
  'binary-media-types',
  'cors',
  'integration',
  // No effect on a request: documentation, export bookkeeping, AWS-side endpoint settings.
  'documentation',
  'importexport-version',
  'endpoint-configuration',
  'disable-execute-api-endpoint',
  'tag-value',
]);

/** Extensions the document may use that another part of the gateway runs; unknown until wired. */
export const PENDING_EXTENSIONS = new Set([
  'request-validators',
  'request-validator',
  'policy',
  'gateway-responses',
]);

/** The collector a compilation writes into. */
export class Findings {
  readonly items: UnsupportedItem[] = [];

  constructor(
    readonly source: string,
    /** Extensions wired in by the parts present (validation, policy, gateway responses). */
    private readonly wired: ReadonlySet<string>,
  ) {}

  add(pointer: string, message: string): void {
    this.items.push({ pointer, message });
  }

  /** A start-up error for a document that cannot run at all. */
  error(pointer: string, message: string): Error {
    return new OpenApiDocumentError(this.source, pointer, message);
  }

  /**
   * Reports every `x-amazon-apigateway-*` key anywhere in the document that is not run: unknown
   * ones (a typo must not pass for a setting), and known ones no part of the gateway runs.
   */
  scanExtensions(value: unknown, pointer = ''): void {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++)
        this.scanExtensions(value[i], childPointer(pointer, i));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      const here = childPointer(pointer, key);
      if (key.startsWith(PREFIX)) {
        const name = key.slice(PREFIX.length);
        if (PENDING_EXTENSIONS.has(name) && !this.wired.has(name))
          this.add(here, `${key} is not run by this build`);
        else if (!KNOWN_EXTENSIONS.has(name) && !PENDING_EXTENSIONS.has(name))
          this.add(here, `unknown extension ${key}`);
      }
      this.scanExtensions(item, here);
    }
  }

  /** Hands the findings over: throws with `strict`, else calls `onUnsupported` when there are any. */
  finish(strict: boolean, onUnsupported: (report: UnsupportedReport) => void): void {
    if (this.items.length === 0) return;
    const report: UnsupportedReport = Object.freeze({
      source: this.source,
      items: Object.freeze([...this.items]),
    });
    if (strict) {
      const lines = report.items.map((item) => `${item.pointer}: ${item.message}`);
      throw new Error(
        `portcullis.openapi: ${this.source}: not supported (strict):\n  ${lines.join('\n  ')}`,
      );
    }
    onUnsupported(report);
  }
}
