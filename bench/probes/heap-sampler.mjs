/**
 * Preloaded into a scenario server by `allocations.mjs` (`node --import`): on SIGUSR2 it starts
 * V8's sampling heap profiler, keeping the samples of objects that garbage collection already
 * freed (so it sees every allocation, not only what survives); on the next SIGUSR2 it writes the
 * profile to `$ALLOC_PROFILE` and answers with a line `ALLOC_DONE` on stdout.
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
let sampling = false;

process.on('SIGUSR2', async () => {
  if (!sampling) {
    sampling = true;
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    process.stdout.write('ALLOC_STARTED\n');
    return;
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOC_PROFILE, JSON.stringify(profile));
  process.stdout.write('ALLOC_DONE\n');
});
