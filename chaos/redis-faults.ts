import type { ChaosRedis } from './chaos-redis.js';
import type { Enqueued } from './enqueue.js';
import type { ChaosOptions } from './options.js';
import type { Timeline } from './timeline.js';

export type RedisFaultFigures = {
  readonly restarts: number;
  readonly freezes: number;
  readonly frozenMs: number;
  readonly reenqueues: number;
  readonly adopted: number;
};

export type RedisFaults = {
  /** Injects what is due now that `done` of `rows` rows have an outcome (or thaws a freeze that has lasted). */
  tick(done: number, rows: number): Promise<void>;
  /** Redis is stopped now: asking it anything would hang until the thaw. */
  frozen(): boolean;
  /** Waiting for the script to be enqueued again after an empty restart: the run is not finished whatever Redis says. */
  awaitingEnqueue(): boolean;
  figures(): RedisFaultFigures;
};

export type RedisFaultDeps = {
  readonly redis: ChaosRedis;
  readonly options: ChaosOptions;
  readonly timeline: Timeline;
  /** Enqueues the run's script again, as a user would after Redis lost it. */
  readonly reenqueue: () => Promise<Enqueued>;
  readonly log: (line: string) => void;
};

/**
 * The scenario's Redis faults, each once: a crash at `redisCrashAtShare` of the rows (restarted
 * from its AOF, or restarted empty and the script enqueued again `reenqueueAfterMs` later), and
 * a freeze (SIGSTOP) at `freezeAtShare` lasting `freezeMs`, longer than the job lock, so that
 * workers lose their locks and rows are taken by a second worker while the first goes on.
 */
export function makeRedisFaults(deps: RedisFaultDeps): RedisFaults {
  const { redis, options, timeline, log } = deps;
  let restarts = 0;
  let freezes = 0;
  let frozenAt = 0;
  let frozenMs = 0;
  let reenqueueAt = 0;
  let reenqueues = 0;
  let adopted = 0;

  async function crash(done: number): Promise<void> {
    const empty = options.redisCrash === 'empty';
    const failover = options.redisCrash === 'failover';
    const what = empty ? ' (no persistence: it comes back empty)' : failover ? ': the master of the run' : '';
    log(`killing Redis at ${done} rows finished${what}`);
    timeline.note(
      empty
        ? 'Redis killed, restarting empty'
        : failover
          ? "the run's master killed, its replica takes over"
          : 'Redis killed, restarting from AOF',
    );
    await redis.kill();
    await redis.restart();
    restarts += 1;
    if (empty) reenqueueAt = Date.now() + options.reenqueueAfterMs;
  }

  async function enqueueAgain(): Promise<void> {
    reenqueueAt = 0;
    timeline.note('script enqueued again');
    const enqueued = await deps.reenqueue();
    reenqueues += 1;
    adopted += enqueued.adopted;
    log(`script enqueued again: ${enqueued.stdout.trim().split('\n').join(' | ')}`);
  }

  return {
    async tick(done, rows) {
      const now = Date.now();
      if (frozenAt > 0) {
        if (now - frozenAt < options.freezeMs) return;
        redis.thaw();
        const lastedMs = now - frozenAt;
        frozenMs = Math.max(frozenMs, lastedMs);
        frozenAt = 0;
        timeline.note('Redis thawed');
        log(`Redis thawed after ${lastedMs} ms`);
        return;
      }
      if (reenqueueAt > 0 && now >= reenqueueAt) return enqueueAgain();
      if (restarts === 0 && done >= rows * options.redisCrashAtShare) return crash(done);
      if (freezes === 0 && options.freezeMs > 0 && done >= rows * options.freezeAtShare) {
        log(`freezing Redis (SIGSTOP) for ${options.freezeMs} ms at ${done} rows finished`);
        timeline.note('Redis frozen (SIGSTOP)');
        redis.freeze();
        freezes += 1;
        frozenAt = now;
      }
    },
    frozen: () => frozenAt > 0,
    awaitingEnqueue: () => reenqueueAt > 0,
    figures: () => ({ restarts, freezes, frozenMs, reenqueues, adopted }),
  };
}
