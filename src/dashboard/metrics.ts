import { Counter, Gauge, Registry } from 'prom-client';
import type { ApiAnswerCount } from '../queue/api-answer-counts.js';
import type { QueueState, RunProgress } from '../status/run-progress.js';
import { groupByReasonLabel } from './reason-label.js';

export type DashboardMetrics = {
  readonly registry: Registry;
  /** Replaces every value with the snapshot just read from Redis. */
  update(runs: readonly RunProgress[], queue: QueueState, answers: readonly ApiAnswerCount[]): void;
};

const ROW_STATES = ['done', 'failed', 'in_flight', 'waiting', 'scheduled'] as const;

/**
 * Prometheus metrics of the runs. The values live in Redis (shared by every worker), so each
 * scrape sets them from a fresh snapshot instead of counting events in this process; the
 * counters are monotonic because the Redis totals are.
 */
export function makeDashboardMetrics(): DashboardMetrics {
  const registry = new Registry();
  const rows = new Gauge({
    name: 'tts_run_rows',
    help: 'Rows of a run by state (done, failed, in_flight, waiting, scheduled)',
    labelNames: ['run', 'state'] as const,
    registers: [registry],
  });
  const total = new Gauge({
    name: 'tts_run_size_rows',
    help: 'Rows in a run',
    labelNames: ['run'] as const,
    registers: [registry],
  });
  const calls = new Counter({
    name: 'tts_api_calls_total',
    help: 'Segmind API calls made for a run (submits, polls, result fetches)',
    labelNames: ['run'] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: 'tts_cost_usd_total',
    help: 'USD spent on a run',
    labelNames: ['run'] as const,
    registers: [registry],
  });
  const audio = new Counter({
    name: 'tts_audio_seconds_total',
    help: 'Seconds of audio made for a run',
    labelNames: ['run'] as const,
    registers: [registry],
  });
  const failedByReason = new Gauge({
    name: 'tts_run_failed_rows',
    help: 'Failed rows of a run by failure reason (a gauge: retry takes rows back)',
    labelNames: ['run', 'reason'] as const,
    registers: [registry],
  });
  const apiAnswers = new Counter({
    name: 'tts_api_answers_total',
    help: 'Segmind API answers of every worker by call (submit, status, result, download) and class (2xx, 3xx, 4xx, 429, 5xx, network, timeout)',
    labelNames: ['call', 'class'] as const,
    registers: [registry],
  });
  const paused = new Gauge({
    name: 'tts_queue_paused',
    help: '1 when the queue is paused',
    registers: [registry],
  });
  const halted = new Gauge({
    name: 'tts_queue_halted',
    help: '1 when the API refused the account and the queue was paused',
    registers: [registry],
  });
  return {
    registry,
    update(runs, queue, answers) {
      for (const metric of [rows, total, calls, cost, audio, failedByReason, apiAnswers]) metric.reset();
      for (const p of runs) {
        const byState = {
          done: p.done,
          failed: p.failed,
          in_flight: p.inFlight,
          waiting: p.waiting,
          scheduled: p.scheduled,
        };
        for (const state of ROW_STATES) rows.set({ run: p.run, state }, byState[state]);
        total.set({ run: p.run }, p.rows);
        calls.inc({ run: p.run }, p.calls);
        cost.inc({ run: p.run }, p.costUsd);
        audio.inc({ run: p.run }, p.audioMinutes * 60);
        for (const { reason, rows: n } of groupByReasonLabel(p.failures)) {
          failedByReason.set({ run: p.run, reason }, n);
        }
      }
      for (const { call, answer, count } of answers) apiAnswers.inc({ call, class: answer }, count);
      paused.set(queue.paused ? 1 : 0);
      halted.set(queue.halt ? 1 : 0);
    },
  };
}
