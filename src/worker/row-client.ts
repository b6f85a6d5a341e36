import { makeSegmindClient, type CallKind, type SegmindClient } from '../segmind/client.js';
import type { Settings } from '../settings.js';
import type { CreditWatch } from './credit-watch.js';
import type { KeyGuard } from './key-guard.js';
import type { RequestBudget } from './request-budget.js';
import type { ClientHooks } from './row-steps/row-context.js';

export type RowClientDeps = {
  readonly settings: Settings;
  readonly budget: RequestBudget;
  readonly guard: KeyGuard;
  /** Told of the account's remaining credits wherever an answer reports them. */
  readonly credits: CreditWatch;
  /** Told of every call's outcome, downloads included (the fleet's answer counts). */
  readonly countAnswer: (call: CallKind, outcome: number | 'network' | 'timeout') => void;
};

/**
 * Makes each row's Segmind client: every call (not downloads) waits for the fleet's request slot,
 * then passes the key guard (halt, refused key), then the row's own hook (a submit is counted
 * there, last, right before the POST may leave); while the key is unproven, calls go one at a time.
 */
export function makeRowClientFactory(deps: RowClientDeps): (hooks: ClientHooks) => SegmindClient {
  const { settings, budget, guard, countAnswer, credits } = deps;
  return (hooks) => {
    const apiKey = guard.keyForClient();
    const client = makeSegmindClient({
      baseUrl: settings.segmindBaseUrl,
      apiKey,
      requestTimeoutMs: settings.requestTimeoutMs,
      retry: { maxRetries: settings.httpRetries },
      beforeRequest: async (call, signal) => {
        if (call === 'download') return;
        await budget.acquire(signal);
        // A halt for credits this worker is writing is in Redis before its next submit checks.
        if (call === 'submit') await credits.settled();
        await guard.beforeCall(call, apiKey);
        await hooks.beforeSend(call, signal);
      },
      onRateLimited: (waitMs) => budget.backOff(waitMs),
      onCredits: (usd) => credits.observe(usd),
      onCall: (call, outcome) => {
        countAnswer(call, outcome);
        if (call === 'download') return;
        guard.onAnswer(apiKey, outcome);
        hooks.onCall();
      },
    });
    return {
      submit: (model, params, signal) => guard.gate(() => client.submit(model, params, signal), signal),
      status: (request, signal) => guard.gate(() => client.status(request, signal), signal),
      result: (request, signal) => guard.gate(() => client.result(request, signal), signal),
      saveAudio: (output, target, signal) => client.saveAudio(output, target, signal),
    };
  };
}
