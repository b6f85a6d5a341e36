import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { globalKeys } from '../queue/keys.js';

/**
 * The account's remaining credits as the API reports them (`x-remaining-credits`,
 * `metrics.remaining_credits`): the last known balance is kept in Redis for `status`, and a
 * balance below the floor halts the fleet (as a 406 would) while the credits still pay for the
 * requests in flight, so that the API never has to answer 406.
 */
export type CreditWatch = {
  /** A balance the API just reported. Never throws, never waits. */
  observe(usd: number): void;
  /** Resolves once a halt this worker is writing for want of credits is in Redis (a submit waits for it). */
  settled(): Promise<void>;
};

export type CreditWatchOptions = {
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  /** `TTS_MIN_CREDITS_USD`; 0 turns the floor off (the balance is still kept). */
  readonly floorUsd: number;
  /** The fleet's halt (pauses the queue, writes the reason). */
  readonly halt: (reason: string) => Promise<void>;
  readonly logger: Logger;
  readonly now: () => number;
};

/** `$0.0464`: enough digits for a per-call price of a fraction of a cent. */
export function formatCreditsUsd(usd: number): string {
  return `$${usd.toFixed(Math.abs(usd) < 10 ? 4 : 2)}`;
}

export function creditsHaltReason(usd: number, floorUsd: number): string {
  return `credits: ${formatCreditsUsd(usd)} left, below TTS_MIN_CREDITS_USD (${formatCreditsUsd(floorUsd)}): add credits to the Segmind account`;
}

export function makeCreditWatch(options: CreditWatchOptions): CreditWatch {
  const { redis, prefix, floorUsd, halt, logger, now } = options;
  const keys = globalKeys(prefix);
  let halting: Promise<void> | undefined;

  function haltOnce(usd: number): void {
    if (halting !== undefined) return;
    halting = (async () => {
      // Already halted (by any worker, for any cause): nothing to add; a resume clears it, and the
      // next low balance halts again.
      if ((await redis.exists(keys.halt)) === 1) return;
      await halt(creditsHaltReason(usd, floorUsd));
    })()
      .catch((error: unknown) =>
        logger.warn(
          { event: 'credits_halt_failed', err: (error as Error).message },
          'could not halt for credits',
        ),
      )
      .finally(() => {
        halting = undefined;
      });
  }

  return {
    observe(usd) {
      redis
        .hset(keys.credits, 'usd', String(usd), 'at', new Date(now()).toISOString())
        .catch(() => undefined);
      if (floorUsd > 0 && usd < floorUsd) haltOnce(usd);
    },
    settled: () => halting ?? Promise.resolve(),
  };
}
