import { formatRunChapters } from '../assembly/chapter-progress.js';
import { HINT } from '../hints.js';
import { formatLocalTime } from '../time.js';
import type { QueueState, RunProgress } from './run-progress.js';

/** A stored ISO time as every printed time reads (local, with its UTC offset); other text as it is. */
export function shownTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatLocalTime(ms);
}

/** `1h02m`, `8m54s`, `42s`: one token, so that it reads in a bar and a table cell alike. */
export function formatDurationS(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/**
 * The ETA of a run as status shows it: `finished`, `starts <time>`, a duration, `--` when no rate
 * is known yet, and `paused` / `halted` while the queue holds (no countdown: nothing moves).
 */
export function formatEta(progress: RunProgress, queue?: QueueState): string {
  if (progress.finished) return 'finished';
  if (queue?.halt) return 'halted';
  if (progress.budget?.heldAt !== undefined && !progress.finished) return 'budget';
  if (progress.window?.open === false && !progress.finished) return 'window';
  if (queue?.paused) return 'paused';
  if (progress.scheduled > 0 && progress.scheduledAt) return `starts ${shownTime(progress.scheduledAt)}`;
  return progress.etaS === null ? '--' : formatDurationS(progress.etaS);
}

const usd = (value: number) => `$${value.toFixed(value < 10 ? 4 : 2)}`;

/** The queue-wide lines: paused or halted. Empty when neither. */
export function formatQueueState(state: QueueState): string {
  const lines: string[] = [];
  if (state.halt) {
    lines.push(`HALTED at ${shownTime(state.halt.at)}: ${state.halt.reason}`);
    lines.push(`  fix the cause, then run \`${HINT.resume}\``);
  } else if (state.paused) {
    lines.push(`queue PAUSED: workers take no new rows until \`${HINT.resume}\``);
  }
  if (state.credits)
    lines.push(`credits: ${usd(state.credits.usd)} left (at ${shownTime(state.credits.at)})`);
  return lines.map((line) => `${line}\n`).join('');
}

const count = (n: number) => n.toLocaleString('en-US');

/** What a run's enqueue left undone: empty once every row has its job. */
export function formatEnqueueState(p: RunProgress): string {
  const { enqueue } = p;
  if (enqueue.kind === 'complete') return '';
  const since = formatLocalTime(enqueue.sinceMs);
  const rows = `${count(p.withoutJob)} row${p.withoutJob === 1 ? '' : 's'} ha${p.withoutJob === 1 ? 's' : 've'} no job yet`;
  if (enqueue.kind === 'under-way') return `enqueue under way since ${since}: ${rows}`;
  const script = p.script ? ` (script: ${p.script})` : '';
  return `enqueue stopped part-way (started ${since}): ${rows}; run the same enqueue again to queue them${script}`;
}

/** One run in detail: counts, audio, spend, rate, ETA and failures by reason. */
export function formatRunDetail(progress: RunProgress, queue?: QueueState): string {
  const p = progress;
  const lines = [
    `run: ${p.run}${p.finished ? ' (finished)' : ''}`,
    `output: ${p.outDir}`,
    `rows: ${p.rows}  done ${p.done}  failed ${p.failed}  in flight ${p.inFlight}  waiting ${p.waiting}  scheduled ${p.scheduled}`,
    ...[formatEnqueueState(p)].filter(Boolean),
    `audio: ${p.audioMinutes.toFixed(2)} min`,
    `API calls: ${p.calls}  cost: ${usd(p.costUsd)}`,
    ...formatBudget(p),
    ...(p.window && !p.finished ? [p.window.line] : []),
    ...formatReview(p),
    `rate: ${p.rowsPerMinute.toFixed(1)} rows/min completed  ETA: ${formatEta(p, queue)}`,
  ];
  if (p.failures.length > 0) {
    lines.push('failures by reason:');
    for (const { reason, rows } of p.failures) lines.push(`  ${String(rows).padStart(6)}  ${reason}`);
    lines.push(`  (send them back with \`${HINT.retry(p.run)}\`)`);
  }
  return `${lines.join('\n')}\n${p.chapters ? formatRunChapters(p.chapters) : ''}`;
}

const COLUMNS = [
  'run',
  'rows',
  'done',
  'failed',
  'in flight',
  'waiting',
  'scheduled',
  'audio min',
  'calls',
  'cost',
  'ETA',
] as const;

/** All runs, one line each. */
export function formatRunTable(runs: readonly RunProgress[], queue?: QueueState): string {
  if (runs.length === 0) return `no runs yet: add one with \`${HINT.enqueue}\`\n`;
  const body = runs.map((p) => [
    p.run,
    String(p.rows),
    String(p.done),
    String(p.failed),
    String(p.inFlight),
    String(p.waiting),
    String(p.scheduled),
    p.audioMinutes.toFixed(2),
    String(p.calls),
    usd(p.costUsd),
    formatEta(p, queue),
  ]);
  const table = [[...COLUMNS], ...body];
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const notes = runs
    .filter((p) => p.enqueue.kind !== 'complete')
    .map((p) => `${p.run}: ${formatEnqueueState(p)}\n`);
  return (
    table
      .map(
        (row) =>
          `${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}\n`,
      )
      .join('') + notes.join('')
  );
}

/** The run's budget: spent of limit, and when it holds rows, how to let them go on. */
export function formatBudget(p: RunProgress): string[] {
  const budget = p.budget;
  if (budget?.limitUsd === undefined) return [];
  const line = `budget: ${usd(budget.limitUsd)}  spent (reserved by submits): ${usd(budget.spentUsd)}`;
  if (budget.heldAt === undefined || p.finished) return [line];
  return [
    line,
    `BUDGET REACHED at ${shownTime(new Date(budget.heldAt).toISOString())}: rows are held (not failed); raise it with \`${HINT.budget(p.run)}\``,
  ];
}

/** Rows kept with a take that failed its checks: how many, a few by name, and what to do. */
export function formatReview(p: RunProgress): string[] {
  if (!p.review) return [];
  const named = p.review.rows.map((row) => `${row.id}: ${row.reasons.split(',').join(', ')}`).join('; ');
  const more =
    p.review.count > p.review.rows.length ? `; and ${p.review.count - p.review.rows.length} more` : '';
  return [
    `needs review: ${p.review.count} row${p.review.count === 1 ? '' : 's'} (${named}${more})`,
    `  listen to them (the manifest's qa says why); a new take: \`npm run retake -- --run ${p.run} --id ROW\``,
  ];
}
