import type { ApiAnswerCount } from '../queue/api-answer-counts.js';
import type { QueueState, RunProgress } from '../status/run-progress.js';
import { renderAnswersSummary } from './answers-summary.js';
import { escapeHtml } from './html.js';
import { RUN_COLUMNS, renderRunRows } from './run-rows.js';

/** Why bull-board's Completed tab is empty, and where finished rows are recorded instead. */
const COMPLETED_NOTE =
  '<p class="note">Finished rows leave the queue at once, so the Completed tab of the jobs view (bull-board) ' +
  "stays empty: a run's outcomes are the figures above and the manifests in its output directory. " +
  'Failed rows stay in the Failed tab until they are retried.</p>';

/**
 * The runs view: one line per run with its progress, rate and ETA, then where its files are and
 * its failures by reason; the fleet's API answers by status class. Refreshes itself every few seconds.
 */
export function renderRunsPage(
  runs: readonly RunProgress[],
  queue: QueueState,
  queueName: string,
  answers: readonly ApiAnswerCount[] = [],
): string {
  const banner = queue.halt
    ? `<p class="alert">Halted at ${escapeHtml(queue.halt.at)}: ${escapeHtml(queue.halt.reason)}. Fix the cause, then run <code>npm run resume</code>.</p>`
    : queue.paused
      ? '<p class="alert">Queue paused: workers take no new rows until <code>npm run resume</code>.</p>'
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>tts-batch runs</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; } th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
td.n, span.n { text-align: right; font-variant-numeric: tabular-nums; } .alert { background: #fee; padding: .5rem; }
tr.details td { color: #555; font-size: 13px; } ul.failures { margin: .2rem 0; } .note { color: #555; max-width: 60rem; }
</style>
</head>
<body>
<h1>tts-batch</h1>
<p>Queue <strong id="queue-name">${escapeHtml(queueName)}</strong> · <a href="queues">jobs (bull-board)</a> · <a href="metrics">metrics</a></p>
${banner}
${renderAnswersSummary(answers)}
<table>
<thead><tr>${RUN_COLUMNS.map((name) => `<th>${name}</th>`).join('')}</tr></thead>
<tbody>
${renderRunRows(runs, queue)}
</tbody>
</table>
${COMPLETED_NOTE}
</body>
</html>
`;
}
