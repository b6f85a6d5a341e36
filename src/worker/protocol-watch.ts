import type { RedisClient } from '../redis/connection.js';
import { globalKeys } from '../queue/keys.js';
import { MINUTE } from '../time.js';

/**
 * Answers of the wrong shape (a 200 without `request_id`, HTML, truncated JSON) mean the API
 * changed or a proxy stands in the way: every further submit may be billed and lost. The fleet
 * counts them in Redis and halts after `maxConsecutive` with no good submit answer in between.
 */
export type ProtocolWatch = {
  strike(reason: string): Promise<void>;
  /** A submit was answered as documented. */
  ok(): Promise<void>;
};

export function makeProtocolWatch(
  redis: RedisClient,
  prefix: string,
  maxConsecutive: number,
  halt: (reason: string) => Promise<void>,
): ProtocolWatch {
  const key = globalKeys(prefix).protocolErrors;
  return {
    async strike(reason) {
      const [[, count]] = (await redis
        .multi()
        .incr(key)
        .pexpire(key, 30 * MINUTE)
        .exec()) as [[unknown, number]];
      if (count >= maxConsecutive) {
        await halt(
          `the API answered ${count} times in a row in a shape it does not document (last: ${reason})`,
        );
      }
    },
    async ok() {
      await redis.del(key);
    },
  };
}
