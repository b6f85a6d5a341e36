import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { RunNotifier } from './notify-queue.js';
import { runHeldEvent } from './run-event.js';

export type BudgetReachedInput = {
  readonly notifier: RunNotifier;
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly run: string;
  /** The run's limit, USD: it names the event, so a raised budget reached again is told again. */
  readonly limitUsd: number;
  /** Spent and reserved, USD, when the limit held a row. */
  readonly spentUsd: number;
  readonly nowMs: number;
  readonly logger: Logger;
};

const usd = (value: number) => `$${value.toFixed(value < 10 ? 4 : 2)}`;

/**
 * Raises `run.budget_reached` for a run whose budget holds its next row: once per limit, however
 * many workers and rows meet it (the event's id comes from the run and the limit). Never throws.
 */
export async function raiseBudgetReached(input: BudgetReachedInput): Promise<void> {
  const { notifier, redis, prefix, run, limitUsd, spentUsd, nowMs, logger } = input;
  if (!notifier.enabled) return;
  try {
    const reason = `budget reached: ${usd(spentUsd)} spent or reserved of ${usd(limitUsd)}: raise it with \`tts-batch budget --run ${run} --usd N\``;
    const event = await runHeldEvent('run.budget_reached', {
      redis,
      prefix,
      run,
      reason,
      episode: String(limitUsd),
      nowMs,
    });
    await notifier.raise(event);
  } catch (error) {
    logger.warn(
      { event: 'notify_raise_failed', err: (error as Error).message },
      'could not raise run.budget_reached',
    );
  }
}
