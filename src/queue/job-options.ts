import type { JobsOptions } from 'bullmq';
import { SECOND } from '../time.js';

/**
 * Options of every row job. BullMQ's own attempts cover a worker that throws (Redis trouble, a
 * full disk); the API's 429/5xx are retried inside the worker without spending them.
 * Completed jobs are removed at once: the run's outcome hash in Redis is the record of what
 * was made, so 200,000 finished rows do not keep 200,000 job hashes. Failed jobs are kept for
 * `tts-batch retry`.
 */
export const ROW_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 5 * SECOND },
  removeOnComplete: true,
  removeOnFail: false,
} as const satisfies JobsOptions;
