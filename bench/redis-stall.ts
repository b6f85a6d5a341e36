import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';

export type StallWatch = {
  /** Stops pinging; resolves to the longest time any PING waited (or was refused) and the BUSY replies. */
  stop(): Promise<{ readonly maxStallMs: number; readonly busyReplies: number; readonly pings: number }>;
};

/**
 * What another client of Redis sees while something runs: a PING every `everyMs` on its own
 * connection, timing how long each one takes to be answered. A PING answered BUSY (Redis past
 * `busy-reply-threshold` in a script) counts as still waiting: the stall ends at the first PONG.
 */
export async function watchStalls(url: string, everyMs = 5): Promise<StallWatch> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  await redis.ping();
  let stopping = false;
  let maxStallMs = 0;
  let busyReplies = 0;
  let pings = 0;
  const loop = (async () => {
    while (!stopping) {
      const sentAt = performance.now();
      for (;;) {
        try {
          await redis.ping();
          break;
        } catch (error) {
          if (!String(error).includes('BUSY')) throw error;
          busyReplies += 1;
          await delay(1);
        }
      }
      pings += 1;
      maxStallMs = Math.max(maxStallMs, performance.now() - sentAt);
      await delay(everyMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      redis.disconnect();
      return { maxStallMs, busyReplies, pings };
    },
  };
}

/** The longest EVAL/EVALSHA in Redis's SLOWLOG (every command is logged: threshold 0), µs. */
export async function slowestScriptUs(redis: Redis): Promise<number> {
  const entries = (await redis.call('SLOWLOG', 'GET', '1024')) as [number, number, number, string[]][];
  let slowest = 0;
  for (const [, , durationUs, args] of entries) {
    const command = String(args[0] ?? '').toLowerCase();
    if (command === 'eval' || command === 'evalsha') slowest = Math.max(slowest, durationUs);
  }
  return slowest;
}

/** Logs every command from now on in SLOWLOG (threshold 0, the last 1024 kept), emptied. */
export async function logEveryCommand(redis: Redis): Promise<void> {
  await redis.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', '1024');
  await redis.call('SLOWLOG', 'RESET');
}

/**
 * Runs a read of the bench's own, retried while Redis answers BUSY: the old code's last-row walk
 * blocks Redis past its 5 s script threshold, and a bench that polls meanwhile must wait it out.
 */
export async function retryWhileBusy<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!String(error).includes('BUSY')) throw error;
      await delay(50);
    }
  }
}
