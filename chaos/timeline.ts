/** One fault the scenario injected, at a wall-clock time (ms since epoch). */
export type FaultEvent = { readonly atMs: number; readonly what: string };

export type Timeline = {
  readonly startedAtMs: number;
  readonly events: readonly FaultEvent[];
  note(what: string): void;
  /** `+12.3 s`: a time relative to the start of the run. */
  at(ms: number): string;
  /** The fault injected closest to `ms`, within `withinMs` either side, as `what at +t s`. */
  faultNear(ms: number, withinMs: number): string | undefined;
};

/** The faults of a chaos run in the order they were injected, to attribute extra billing to them. */
export function makeTimeline(startedAtMs: number): Timeline {
  const events: FaultEvent[] = [];
  const at = (ms: number) => `+${((ms - startedAtMs) / 1000).toFixed(1)} s`;
  return {
    startedAtMs,
    events,
    note: (what) => events.push({ atMs: Date.now(), what }),
    at,
    faultNear(ms, withinMs) {
      const distance = (event: FaultEvent) => Math.abs(event.atMs - ms);
      const near = events.filter((event) => distance(event) <= withinMs);
      const found = near.sort((a, b) => distance(a) - distance(b))[0];
      return found ? `${found.what} at ${at(found.atMs)}` : undefined;
    },
  };
}
