/** What an integration is compiled with (shared by the integrations' modules). */

import type { CoreHandler } from '../../core/exchange.js';
import type { Forwarder } from './forwarder.js';
import type { Findings } from './report.js';

/** What an integration is compiled with: where it is, for which stage, and the shared parts. */
export interface IntegrationContext {
  readonly integration: unknown;
  readonly pointer: string;
  /** The operation's method (upper case), `ANY` for `x-amazon-apigateway-any-method`. */
  readonly method: string;
  /** The resource's greedy path variable, if any. */
  readonly greedy: string | undefined;
  readonly stage: string;
  readonly variables: Readonly<Record<string, string>>;
  readonly findings: Findings;
  readonly forwarder: Forwarder;
  /** Builds an `aws_proxy` integration. */
  readonly lambda: (integration: Record<string, unknown>, pointer: string) => CoreHandler;
}
