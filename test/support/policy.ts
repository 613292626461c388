/** Resource policies for tests: everything allowed to anyone, but what one Deny statement names. */

import type { ResourcePolicyDocument } from '../../src/index.js';

export function allowAllBut(deny: {
  Resource: string;
  Condition?: Record<string, Record<string, string | readonly string[]>>;
}): ResourcePolicyDocument {
  return {
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
      { Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', ...deny },
    ],
  } as ResourcePolicyDocument;
}
