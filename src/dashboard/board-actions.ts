import type { BeforeHook, BeforeHookResult, HTTPMethod } from '@bull-board/api/typings/app';

/** A bull-board API route the dashboard serves, as bull-board declares it (method, path pattern). */
export type BoardAction = {
  readonly method: HTTPMethod;
  readonly route: string;
  /** Values a route parameter may take, when not every value is allowed. */
  readonly only?: Readonly<Record<string, readonly string[]>>;
};

/**
 * What the dashboard lets an operator do to jobs besides looking at them (every GET route):
 * retry, promote and clean. Adding a job, editing a job's data, delay or priority, duplicating
 * one (an add), pausing, resuming, emptying or obliterating the queue, its concurrency, rate
 * limit and job schedulers stay with the CLI: job data carries the row's text and output
 * directory, and the queue's pause is how the product stops spending when the API refuses the
 * account. Retry is of failed jobs only (a completed row is paid for); clean of finished jobs
 * only (waiting or delayed rows would be lost without a trace).
 */
export const BOARD_ACTIONS = [
  { method: 'put', route: '/api/queues/:queueName/retry/:queueStatus', only: { queueStatus: ['failed'] } },
  { method: 'put', route: '/api/queues/:queueName/:jobId/retry' },
  { method: 'put', route: '/api/queues/:queueName/promote' },
  { method: 'put', route: '/api/queues/:queueName/:jobId/promote' },
  {
    method: 'put',
    route: '/api/queues/:queueName/clean/:queueStatus',
    only: { queueStatus: ['completed', 'failed'] },
  },
  { method: 'put', route: '/api/queues/:queueName/:jobId/clean' },
] as const satisfies readonly BoardAction[];

const REFUSED: BeforeHookResult = {
  allow: false,
  status: 403,
  message:
    'The dashboard only inspects, retries failed jobs, promotes and cleans finished jobs; use the tts-batch CLI for the rest.',
};

/** Whether bull-board may run `route` (the pattern it matched) with these parameters. */
export function isBoardActionAllowed(
  method: HTTPMethod,
  route: string,
  params: Readonly<Record<string, unknown>>,
): boolean {
  if (method === 'get') return true;
  const action: BoardAction | undefined = BOARD_ACTIONS.find(
    (candidate) => candidate.method === method && candidate.route === route,
  );
  if (action === undefined) return false;
  return Object.entries(action.only ?? {}).every(([name, values]) => {
    const value = params[name];
    return typeof value === 'string' && values.includes(value);
  });
}

/**
 * bull-board's `handlerHooks.before`: it runs on the route bull-board itself matched, so the
 * allow-list holds whatever path spelling a request uses. Hiding buttons in the UI would not:
 * the API is reachable without it.
 */
export const boardActionGuard: BeforeHook = ({ method, route, request }) =>
  isBoardActionAllowed(method, route, request.params) ? undefined : REFUSED;
