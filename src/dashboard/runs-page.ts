import { formatEta } from '../status/render.js';
import type { QueueState, RunProgress } from '../status/run-progress.js';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function runRow(p: RunProgress): string {
  const percent = p.rows > 0 ? Math.floor(((p.done + p.failed) / p.rows) * 100) : 0;
  const cells = [
    `<td class="run">${escapeHtml(p.run)}</td>`,
    `<td><progress max="100" value="${percent}"></progress> ${percent}%</td>`,
    ...[p.rows, p.done, p.failed, p.inFlight, p.waiting, p.scheduled].map((n) => `<td class="n">${n}</td>`),
    `<td class="n">${p.audioMinutes.toFixed(2)}</td>`,
    `<td class="n">${p.calls}</td>`,
    `<td class="n">$${p.costUsd.toFixed(4)}</td>`,
    `<td>${escapeHtml(formatEta(p))}</td>`,
  ];
  return `<tr data-run="${escapeHtml(p.run)}">${cells.join('')}</tr>`;
}

/** The runs view: one line per run with its progress; refreshes itself every few seconds. */
export function renderRunsPage(runs: readonly RunProgress[], queue: QueueState, queueName: string): string {
  const banner = queue.halt
    ? `<p class="alert">Halted at ${escapeHtml(queue.halt.at)}: ${escapeHtml(queue.halt.reason)}. Fix the cause, then run <code>tts-batch resume</code>.</p>`
    : queue.paused
      ? '<p class="alert">Queue paused: workers take no new rows until <code>tts-batch resume</code>.</p>'
      : '';
  const body =
    runs.length === 0
      ? '<tr><td colspan="12">No runs yet: add one with <code>tts-batch enqueue &lt;file&gt;</code>.</td></tr>'
      : runs.map(runRow).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>tts-batch runs</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; } th, td { padding: .3rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .alert { background: #fee; padding: .5rem; }
</style>
</head>
<body>
<h1>tts-batch</h1>
<p>Queue <strong id="queue-name">${escapeHtml(queueName)}</strong> · <a href="queues">jobs (bull-board)</a> · <a href="metrics">metrics</a></p>
${banner}
<table>
<thead><tr><th>run</th><th>progress</th><th>rows</th><th>done</th><th>failed</th><th>in flight</th><th>waiting</th><th>scheduled</th><th>audio min</th><th>calls</th><th>cost</th><th>ETA</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
</body>
</html>
`;
}
