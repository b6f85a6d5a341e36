import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/connection.js';
import { TtsBatchError } from '../errors.js';
import { runKeys } from '../queue/keys.js';
import { luaScript, runScript } from '../redis/scripts.js';
import { formatLocalTime, SECOND } from '../time.js';

/** Another enqueue of the run held the lock for longer than this one would wait. */
export class EnqueueBusyError extends TtsBatchError {
  override name = 'EnqueueBusyError' as const;
  constructor(
    readonly run: string,
    readonly holder: LockHolder | undefined,
  ) {
    const since = holder
      ? ` (started at ${formatLocalTime(holder.startedAt)} on ${holder.host}, pid ${holder.pid})`
      : '';
    super(`another enqueue of run ${run} is under way${since}; run it again when it ends`);
  }
}

/** The lock expired or was taken over while this enqueue ran (Redis restarted, or the process stalled). */
export class EnqueueLockLostError extends TtsBatchError {
  override name = 'EnqueueLockLostError' as const;
  constructor(readonly run: string) {
    super(
      `lost the enqueue lock of run ${run} (Redis restarted or flushed, or this process stalled); ` +
        'stopped before adding more: run the enqueue again',
    );
  }
}

/** Who holds the lock: stored as the lock's value. */
export type LockHolder = {
  readonly token: string;
  /** ms since epoch */
  readonly startedAt: number;
  readonly host: string;
  readonly pid: number;
};

export type EnqueueLockOptions = {
  /** The lock expires this long after its last renewal (a crashed enqueue blocks no longer). */
  readonly ttlMs?: number;
  /** How long to wait for another enqueue of the run to end before giving up. */
  readonly waitMs?: number;
  readonly retryEveryMs?: number;
  readonly nowMs?: () => number;
  readonly signal?: AbortSignal;
};

export const ENQUEUE_LOCK_DEFAULTS = {
  ttlMs: 30 * SECOND,
  waitMs: 30 * SECOND,
  retryEveryMs: SECOND / 4,
} as const satisfies EnqueueLockOptions;

export type EnqueueLock = {
  readonly holder: LockHolder;
  /** Aborts (reason: EnqueueLockLostError) when a renewal finds the lock no longer this one's. */
  readonly lost: AbortSignal;
  /** Stops renewing and deletes the lock if it is still this one's. */
  release(): Promise<void>;
};

const RENEW = luaScript(
  'ttsRenewEnqueueLock',
  1,
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);

const RELEASE = luaScript(
  'ttsReleaseEnqueueLock',
  1,
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`,
);

function decodeHolder(value: string | null): LockHolder | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<LockHolder>;
    if (typeof parsed.startedAt !== 'number') return undefined;
    return {
      token: String(parsed.token),
      startedAt: parsed.startedAt,
      host: String(parsed.host),
      pid: Number(parsed.pid),
    };
  } catch {
    return undefined;
  }
}

/**
 * Makes this the one enqueue of `run` under way: `SET NX PX` with a random token, renewed every
 * third of its TTL while the enqueue runs. An enqueue that finds the lock taken waits for it up to
 * `waitMs` (long enough for a crashed holder's lock to expire), then throws EnqueueBusyError.
 */
export async function acquireEnqueueLock(
  redis: RedisClient,
  prefix: string,
  run: string,
  options: EnqueueLockOptions = {},
): Promise<EnqueueLock> {
  const { ttlMs, waitMs, retryEveryMs } = { ...ENQUEUE_LOCK_DEFAULTS, ...options };
  const nowMs = options.nowMs ?? Date.now;
  const key = runKeys(prefix, run).enqueueLock;
  const holder: LockHolder = {
    token: randomBytes(12).toString('hex'),
    startedAt: nowMs(),
    host: hostname(),
    pid: process.pid,
  };
  const value = JSON.stringify(holder);
  const giveUpAt = nowMs() + waitMs;
  for (;;) {
    if ((await redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK') break;
    if (nowMs() >= giveUpAt) throw new EnqueueBusyError(run, decodeHolder(await redis.get(key)));
    await delay(retryEveryMs, undefined, options.signal ? { signal: options.signal } : {});
  }

  const lostController = new AbortController();
  const renew = async () => {
    try {
      const held = await runScript(redis, RENEW, [key], [value, ttlMs]);
      if (held !== 1) lostController.abort(new EnqueueLockLostError(run));
    } catch {
      // A failed round trip is not a lost lock; the next renewal (well within the TTL) tells.
    }
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    holder,
    lost: lostController.signal,
    async release() {
      clearInterval(timer);
      await runScript(redis, RELEASE, [key], [value]);
    },
  };
}
