import { HINT } from '../hints.js';
import { formatBudget, formatEta, formatReview } from '../status/render.js';
import type { QueueState, RunProgress } from '../status/run-progress.js';
import { escapeHtml } from './html.js';
import { renderRunChapters } from './run-chapters.js';
import { groupByReasonLabel } from './reason-label.js';

/** Columns of the runs table; `RUN_COLUMNS.length` is the span of a run's detail line. */
export const RUN_COLUMNS = [
  'run',
  'progress',
  'rows',
  'done',
  'failed',
  'in flight',
  'waiting',
  'scheduled',
  'audio min',
  'calls',
  'cost',
  'rows/min',
  'ETA',
] as const;

function summaryRow(p: RunProgress, queue: QueueState): string {
  const percent = p.rows > 0 ? Math.floor(((p.done + p.failed) / p.rows) * 100) : 0;
  const cells = [
    `<td class="run">${escapeHtml(p.run)}</td>`,
    `<td><progress max="100" value="${percent}"></progress> ${percent}%</td>`,
    ...[p.rows, p.done, p.failed, p.inFlight, p.waiting, p.scheduled].map((n) => `<td class="n">${n}</td>`),
    `<td class="n">${p.audioMinutes.toFixed(2)}</td>`,
    `<td class="n">${p.calls}</td>`,
    `<td class="n">$${p.costUsd.toFixed(4)}</td>`,
    `<td class="n rate">${p.rowsPerMinute.toFixed(1)}</td>`,
    `<td class="eta">${escapeHtml(formatEta(p, queue))}</td>`,
  ];
  return `<tr data-run="${escapeHtml(p.run)}">${cells.join('')}</tr>`;
}

/** Reasons listed per run; the rest are summed in one line (`/metrics` has them all). */
const MAX_REASONS_SHOWN = 20;

function failureList(p: RunProgress): string {
  if (p.failures.length === 0) return '';
  const groups = groupByReasonLabel(p.failures);
  const items = groups
    .slice(0, MAX_REASONS_SHOWN)
    .map(({ reason, rows }) => `<li><span class="n">${rows}</span> ${escapeHtml(reason)}</li>`);
  const rest = groups.slice(MAX_REASONS_SHOWN).reduce((sum, { rows }) => sum + rows, 0);
  if (rest > 0) items.push(`<li><span class="n">${rest}</span> (other reasons)</li>`);
  return `<div>failed rows by reason (send them back with <code>${escapeHtml(HINT.retry(p.run))}</code>):<ul class="failures">${items.join('')}</ul></div>`;
}

/** The run's budget (BUDGET REACHED while it holds rows), window and rows needing review, as status says them. */
function nightLines(p: RunProgress): string {
  const lines = [...formatBudget(p), ...(p.window && !p.finished ? [p.window.line] : []), ...formatReview(p)];
  if (lines.length === 0) return '';
  return `<div class="night">${lines.map((line) => `<div>${escapeHtml(line)}</div>`).join('')}</div>`;
}

/** A run's detail line: where its files are, its budget, window and review, and its failures grouped by reason. */
function detailRow(p: RunProgress): string {
  const files =
    p.outDir === ''
      ? 'files: (output directory unknown)'
      : `files: <code class="out-dir">${escapeHtml(p.outDir)}</code> (audio, manifest.jsonl as rows finish, manifest.json and manifest.csv when the run is finished)`;
  return `<tr class="details" data-run-details="${escapeHtml(p.run)}"><td colspan="${RUN_COLUMNS.length}">${files}${nightLines(p)}${renderRunChapters(p.chapters)}${failureList(p)}</td></tr>`;
}

/** The runs table's body: each run's figures, then its detail line. */
export function renderRunRows(runs: readonly RunProgress[], queue: QueueState): string {
  if (runs.length === 0) {
    return `<tr><td colspan="${RUN_COLUMNS.length}">No runs yet: add one with <code>${escapeHtml(HINT.enqueue)}</code>.</td></tr>`;
  }
  return runs.map((p) => `${summaryRow(p, queue)}\n${detailRow(p)}`).join('\n');
}
