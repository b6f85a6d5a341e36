import type { Logger } from '../log.js';
import { isConnectionError, type RedisClient } from '../redis/connection.js';
import { describeRedis, type RedisTarget } from '../redis/redis-target.js';
import { MINUTE, SECOND } from '../time.js';

export type RedisWatchOptions = {
  /** The worker's own connection: its errors and its `ready` say when Redis is lost and back. */
  readonly redis: RedisClient;
  /** Where Redis is (for messages, password masked): the settings, or a URL. */
  readonly target: RedisTarget | string;
  readonly logger: Logger;
  /** How often a continuing outage is said again; default a minute. */
  readonly logEveryMs?: number;
  /** How often Redis is asked whether it answers (a frozen server drops no connection); default 15 s. */
  readonly probeEveryMs?: number;
  /** A probe unanswered this long means Redis does not answer; default 15 s. */
  readonly stallMs?: number;
  readonly now?: () => number;
};

/**
 * Turns the 'error' events of a running worker's connections into what an operator needs: one
 * line when Redis is lost (URL masked), a line a minute while it stays away, one when it is back.
 * A Redis that stops answering without dropping the connection (frozen, swapping, a long script)
 * is found by a PING now and then, and said the same way.
 * Every connection (the worker's own, BullMQ's worker and its blocking connection, the queue)
 * reports each failed reconnection; those of the outage are not repeated, and other errors are
 * said with their message, never as a stack trace.
 */
export type RedisWatch = {
  /** An 'error' event of another connection of this worker (BullMQ's worker, the queue). */
  otherError(error: Error): void;
  stop(): void;
};

/**
 * A row's lock expired (an outage longer than the lock): BullMQ cannot renew it, nor move the
 * job on; the row is taken again where its progress says, and a submit needs the lock, so
 * nothing is paid twice. Not the operator's business beyond the outage's own lines.
 */
const LOCK_LOSS = /^(could not renew lock for job |Missing lock for job )/;

export function watchRedis(options: RedisWatchOptions): RedisWatch {
  const { redis, logger } = options;
  const now = options.now ?? Date.now;
  const logEveryMs = options.logEveryMs ?? MINUTE;
  const masked = describeRedis(options.target);
  let lostAt: number | undefined;
  let lastReason = '';
  let repeat: NodeJS.Timeout | undefined;
  const downS = () => Math.round((now() - (lostAt ?? now())) / SECOND);

  const lose = (reason: string) => {
    lastReason = reason;
    if (lostAt !== undefined) return;
    lostAt = now();
    logger.warn(
      { event: 'redis_lost', redis: masked, reason },
      `lost Redis at ${masked} (${reason}): rows in flight wait, and go on when it is back`,
    );
    repeat = setInterval(() => {
      logger.warn(
        { event: 'redis_still_lost', redis: masked, downS: downS(), reason: lastReason },
        `still no Redis at ${masked}`,
      );
    }, logEveryMs);
    repeat.unref();
  };
  const onError = (error: Error) => {
    if (isConnectionError(error)) lose(error.message);
    else logger.warn({ event: 'redis_error', err: error.message }, 'redis error');
  };
  const onReady = () => {
    if (lostAt === undefined) return;
    logger.info(
      { event: 'redis_back', redis: masked, downS: downS() },
      'Redis is back: rows go on (rows whose lock expired meanwhile are taken again where they were)',
    );
    lostAt = undefined;
    clearInterval(repeat);
  };
  redis.on('error', onError);
  redis.on('ready', onReady);

  const stallMs = options.stallMs ?? 15 * SECOND;
  let probing = false;
  const probe = () => {
    if (probing || lostAt !== undefined || redis.status !== 'ready') return;
    probing = true;
    const stalled = setTimeout(() => lose(`no answer to PING within ${stallMs / SECOND} s`), stallMs);
    stalled.unref();
    redis
      .ping()
      .then(onReady, () => undefined)
      .finally(() => {
        clearTimeout(stalled);
        probing = false;
      });
  };
  const probes = setInterval(probe, options.probeEveryMs ?? 15 * SECOND);
  probes.unref();

  return {
    otherError(error) {
      if (lostAt !== undefined || isConnectionError(error) || LOCK_LOSS.test(error.message)) {
        logger.debug({ event: 'worker_error', err: error.message }, 'worker error');
        return;
      }
      logger.warn({ event: 'worker_error', err: error.message }, 'worker error');
    },
    stop() {
      clearInterval(repeat);
      clearInterval(probes);
      // Closing connections may still report: nothing to say about them.
      redis.on('error', () => undefined);
      redis.off('error', onError);
      redis.off('ready', onReady);
    },
  };
}
