/** Runs autocannon in its own (pinned) process and prints the figures the runner needs, as JSON. */

import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const result = await autocannon({ ...spec, pipelining: 1 });
process.stdout.write(
  JSON.stringify({
    reqPerSec: result.requests.total / (result.duration || spec.duration),
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors - result.timeouts,
    timeouts: result.timeouts,
  }),
);
