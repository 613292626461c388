/** Time as the gateway sees it: injectable so that tests advance a manual clock instead of sleeping. */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** The wall clock (`Date.now`). */
export const systemClock: Clock = { now: () => Date.now() };
