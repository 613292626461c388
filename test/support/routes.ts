/** Routes the cache specs share: one that counts its calls, one whose first call waits to be released. */

import type { Reply, Route } from './frameworks.js';

/** A GET route that counts its calls and answers `n=<count>` (or what `reply` says). */
export function counted(
  path = '/r',
  reply: (n: number) => Reply | Promise<Reply> = (n) => ({ body: `n=${n}` }),
) {
  const counter = { calls: 0, route: undefined as unknown as Route };
  counter.route = { method: 'GET', path, reply: () => reply(++counter.calls) };
  return counter;
}

/** A promise with its resolve function, to release a handler by hand. */
export function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * A counted GET route whose first call holds until `release.open()` (a miss in flight for as long
 * as the test wants); `entered` opens when that first call has started. Later calls answer at once.
 */
export function heldFirst(path = '/r') {
  const entered = gate();
  const release = gate();
  const counter = counted(path, async (n) => {
    if (n === 1) {
      entered.open();
      await release.opened;
    }
    return { body: `n=${n}` };
  });
  return {
    ...counter,
    get calls() {
      return counter.calls;
    },
    entered,
    release,
  };
}
