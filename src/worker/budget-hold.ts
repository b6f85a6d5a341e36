import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { raiseBudgetReached } from '../notify/budget-event.js';
import type { RunNotifier } from '../notify/notify-queue.js';
import type { BudgetStore } from '../queue/run-budget.js';

export type BudgetHoldOptions = {
  readonly redis: Redis | Cluster;
  readonly prefix: string;
  readonly budgets: BudgetStore;
  readonly notifier: RunNotifier;
  readonly logger: Logger;
  readonly now: () => number;
};

/**
 * What the first worker held by a run's budget does (once per limit: the budget's `held_at` is
 * set once): raises `run.budget_reached` with the limit and what is spent. Never throws.
 */
export function makeBudgetHold(options: BudgetHoldOptions): (run: string) => Promise<void> {
  const { redis, prefix, budgets, notifier, logger, now } = options;
  return async (run) => {
    if (!notifier.enabled) return;
    const budget = await budgets.read(run).catch(() => undefined);
    if (budget?.limitUsd === undefined) return;
    await raiseBudgetReached({
      notifier,
      redis,
      prefix,
      run,
      limitUsd: budget.limitUsd,
      spentUsd: budget.spentUsd,
      nowMs: now(),
      logger,
    });
  };
}
