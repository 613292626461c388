/**
 * The `keys` option imported into the store at start-up, retried with backoff until it succeeds:
 * a store that is down or slow when the app starts must not refuse every key forever.
 */

import { StoreHealth } from '../throttle/bucket.js';
import { importDefinition } from './management.js';
import type { UsagePlansConfig } from './options.js';

/** First wait before retrying a failed import, in ms; doubled after each failure. */
const FIRST_RETRY_MS = 100;
/** Longest wait between two attempts, in ms. */
const MAX_RETRY_MS = 30_000;

const ignore = (): void => undefined;

export class StartupImport {
  /** True once every key of the `keys` option is in the store (or was another id's). */
  loaded: boolean;
  private attempt: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_RETRY_MS;
  private readonly health = new StoreHealth('usagePlans');

  constructor(private readonly config: UsagePlansConfig) {
    this.loaded = config.initialKeys.length === 0;
    if (!this.loaded) this.run().catch(ignore);
  }

  /**
   * Settles (never rejects) once an attempt has finished: the one under way, or one started now
   * (so that the first request after the store comes back imports the keys and is served, rather
   * than waiting for the next retry). Whatever the outcome, the request is then decided as usual:
   * a key that cannot be looked up gets the documented 503.
   */
  ready(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    return (this.attempt ?? this.run()).then(ignore, ignore);
  }

  private run(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const attempt = this.importAll().then(
      () => {
        this.loaded = true;
        this.attempt = undefined;
        this.health.ok();
      },
      (err: unknown) => {
        this.attempt = undefined;
        this.health.failed(err, 'retrying the import of the keys option with backoff');
        this.retryLater();
        throw err;
      },
    );
    this.attempt = attempt;
    return attempt;
  }

  private retryLater(): void {
    this.timer = setTimeout(() => this.run().catch(ignore), this.delayMs);
    // A pending retry must not keep the process alive.
    this.timer.unref();
    this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_MS);
  }

  /** Imports each key; a key that is another id's is skipped with a warning, not retried. */
  private async importAll(): Promise<void> {
    for (const definition of this.config.initialKeys) {
      if ((await importDefinition(this.config, definition)) === 'conflict')
        process.emitWarning(
          `portcullis.usagePlans: option "keys": the key of "${definition.id}" is already another key's; skipped`,
          { code: 'PORTCULLIS_KEY_CONFLICT' },
        );
    }
  }
}
