import type { RedisClient } from '../redis/connection.js';
import { UsageError } from '../errors.js';
import { makeBudgetStore } from '../queue/run-budget.js';
import type { Estimate } from './estimate.js';

/** `--budget USD` and the `TTS_BUDGET_USD` default, as enqueue applies them. */
export type BudgetPlan = {
  /** `--budget`: the run's limit from now on. */
  readonly usd?: number | undefined;
  /** `TTS_BUDGET_USD`: the limit of a run that has none yet. */
  readonly defaultUsd?: number | undefined;
};

/** Sets the run's budget: `--budget` always; the default only where the run has no limit. */
export async function applyBudget(
  redis: RedisClient,
  prefix: string,
  run: string,
  plan: BudgetPlan,
): Promise<void> {
  const budgets = makeBudgetStore(redis, prefix);
  if (plan.usd !== undefined) return budgets.setLimit(run, plan.usd);
  if (plan.defaultUsd === undefined) return;
  if ((await budgets.read(run)).limitUsd === undefined) await budgets.setLimit(run, plan.defaultUsd);
}

/** `--budget USD`: a non-negative amount of dollars (`12`, `12.50`, `$12.50`). */
export function parseBudgetUsd(value: string): number {
  const usd = Number(value.replace(/^\$/, ''));
  if (value.trim() === '' || !Number.isFinite(usd) || usd < 0) {
    throw new UsageError(`Expected \`--budget\` to be an amount of USD >= 0 (e.g. 12.50), got \`${value}\``);
  }
  return usd;
}

/**
 * The dry run's budget line: whether the estimate fits in what is left of the limit (`spentUsd`:
 * what the run's submits already reserved), and if not, about how many requests do.
 */
export function budgetLine(estimate: Estimate, usd: number | undefined, spentUsd = 0): string | undefined {
  if (usd === undefined) return undefined;
  const money = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
  const limit = spentUsd > 0 ? `${money(usd)}, ${money(spentUsd)} of it spent` : money(usd);
  if (spentUsd + estimate.costUsd <= usd) return `budget:          ${limit} (the estimate fits)`;
  const perRequest = estimate.requests > 0 ? estimate.costUsd / estimate.requests : 0;
  const fit = perRequest > 0 ? Math.max(0, Math.floor((usd - spentUsd) / perRequest)) : 0;
  return `budget:          ${limit} (BUDGET REACHED before the end: about ${fit.toLocaleString('en-US')} of ${estimate.requests.toLocaleString('en-US')} requests fit; the rest would be held until it is raised)`;
}
