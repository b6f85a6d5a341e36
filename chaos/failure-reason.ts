import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { FAILURE_REASONS } from '../src/simulator/faults.js';
import { DEFAULT_SUBMIT_LIMITS } from '../src/worker/row-steps/next-step.js';

/** Reasons a submission's outcome was unknown (next-step.ts counts these towards giving up). */
const UNKNOWN_OUTCOME = new Set(['ambiguous', 'crash-during-submit', 'uncounted']);

export type FailureVerdict = {
  /** The simulator's reason, `gave up: unknown outcomes`, or `other: <error>`. */
  readonly reason: string;
  /** The failure is explained: by the simulator, or by the row's own recorded history. */
  readonly stated: boolean;
};

/**
 * Why a failed row failed. The simulator's FAILED inferences are stated failures. So is the
 * worker giving up after more submissions with unknown outcome than it may spend (a worker
 * SIGKILLed mid-POST each time; README "Paid once"), but only when the entry's own history shows
 * it: that many submits, every resubmission for an unknown outcome. Anything else is not.
 */
export function failureVerdict(entry: ManifestEntry): FailureVerdict {
  const error = entry.error ?? '';
  const simulated = FAILURE_REASONS.find((known) => error.includes(known));
  if (simulated !== undefined) return { reason: simulated, stated: true };
  const gaveUp = /^gave up after (\d+) submissions with unknown outcome$/.exec(error);
  if (gaveUp) {
    const unknown = Number(gaveUp[1]);
    const shown =
      unknown > DEFAULT_SUBMIT_LIMITS.maxAmbiguous &&
      entry.submits >= unknown &&
      entry.resubmit_reasons.every((reason) => UNKNOWN_OUTCOME.has(reason));
    if (shown) return { reason: 'gave up: unknown outcomes', stated: true };
  }
  return { reason: `other: ${error}`, stated: false };
}
