import { escapeHtml } from '../dashboard/html.js';
import { formatLocalTime } from '../time.js';
import { throughputBuckets, throughputSvg } from './report-html-chart.js';
import type { ReportSummary } from './report-html-summary.js';

/** What the page says beyond the manifest's entries. */
export type ReportPage = {
  readonly run: string;
  readonly outDir: string;
  readonly generatedAtMs: number;
  readonly summary: ReportSummary;
  /** Rows with no outcome yet (or whose manifest line is still being written). */
  readonly pending: number;
  /** Completed rows whose audio file is gone (counted as failed in the manifests). */
  readonly missingFiles: number;
};

const usd = (value: number) => `$${value.toFixed(value < 10 ? 4 : 2)}`;
const count = (n: number) => n.toLocaleString('en-US');
const minutes = (seconds: number) => (seconds / 60).toFixed(1);

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:800px;color:#1d2430;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:2rem 0 .6rem}
.meta{color:#5b6473;margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:.6rem;margin-top:1.2rem}
.card{border:1px solid #d8dde6;border-radius:8px;padding:.6rem .8rem}
.card b{display:block;font-size:1.35rem}.card span{color:#5b6473;font-size:.85rem}
.card.bad b{color:#b42318}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e6e9ef}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg .bar.done{fill:#2f6fdb}svg .bar.failed{fill:#d9534f}svg .tick{font-size:11px;fill:#5b6473}svg .axis{stroke:#8a93a3}
details{border:1px solid #f0c8c5;border-radius:8px;padding:.4rem .8rem;margin:.4rem 0;background:#fff8f7}
summary{cursor:pointer}.rows{font-family:ui-monospace,monospace;font-size:.85rem;word-break:break-all}
.none{color:#5b6473}.legend{color:#5b6473;font-size:.85rem;margin:.2rem 0}
.key{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .8em;vertical-align:-.05em}.key.done{background:#2f6fdb}.key.failed{background:#d9534f}
#calls{width:auto}`;

function card(id: string, value: string, label: string, bad = false): string {
  return `<div class="card${bad ? ' bad' : ''}"><b id="${id}">${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function modelsTable(summary: ReportSummary): string {
  const rows = summary.models
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.model)}</td><td class="n">${count(m.rows)}</td><td class="n">${minutes(m.audioSeconds)}</td><td class="n">${usd(m.costUsd)}</td></tr>`,
    )
    .join('');
  return `<table id="models"><thead><tr><th>Model</th><th class="n">Rows</th><th class="n">Audio minutes</th><th class="n">Spent</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function callsTable(summary: ReportSummary): string {
  const rows = summary.callsPerRow
    .map((c) => `<tr><td class="n">${c.calls}</td><td class="n">${count(c.rows)}</td></tr>`)
    .join('');
  return `<table id="calls"><thead><tr><th class="n">API calls</th><th class="n">Rows</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function failuresSection(summary: ReportSummary): string {
  if (summary.failures.length === 0) return '<p class="none" id="no-failures">No row failed.</p>';
  return summary.failures
    .map((group) => {
      const more =
        group.count > group.rows.length ? ` … and ${count(group.count - group.rows.length)} more` : '';
      return `<details class="failure" data-count="${group.count}" open><summary><b>${count(group.count)} row${group.count === 1 ? '' : 's'}</b>: <span class="reason">${escapeHtml(group.reason)}</span></summary><p class="rows">${group.rows.map(escapeHtml).join(', ')}${more}</p></details>`;
    })
    .join('');
}

function reviewSection(summary: ReportSummary): string {
  const { review } = summary;
  if (review.count === 0) return '<p class="none" id="no-review">Every clip passed its checks.</p>';
  const rows = review.rows
    .map((row) => `<tr><td class="rows">${escapeHtml(row.id)}</td><td>${escapeHtml(row.reasons)}</td></tr>`)
    .join('');
  const more =
    review.count > review.rows.length ? `<p>… and ${count(review.count - review.rows.length)} more</p>` : '';
  return `<p><b id="review-count">${count(review.count)}</b> row${review.count === 1 ? '' : 's'} kept with the best take, which still failed a check: listen to these.</p><table id="review"><thead><tr><th>Row</th><th>Failed checks</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

/** The morning report: one self-contained page (inline style and SVG; no script, no external asset). */
export function renderReportHtml(page: ReportPage): string {
  const { summary } = page;
  const buckets = throughputBuckets(summary.finishedAtMs);
  const perRow = summary.rows === 0 ? 0 : summary.calls / summary.rows;
  const chart = buckets
    ? `${throughputSvg(buckets)}<p class="legend"><span class="key done"></span>completed<span class="key failed"></span>failed (rows per bar, by the time their outcome was recorded)</p>`
    : '<p class="none" id="no-throughput">No row has finished yet.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(page.run)}: morning report</title><style>${STYLE}</style></head>
<body>
<h1>Run <span id="run">${escapeHtml(page.run)}</span></h1>
<p class="meta">Report written ${escapeHtml(formatLocalTime(page.generatedAtMs))} from the manifests in <code>${escapeHtml(page.outDir)}</code></p>
<div class="cards">
${card('rows-done', count(summary.completed), 'rows done')}
${card('rows-failed', count(summary.failed), 'rows failed', summary.failed > 0)}
${card('rows-pending', count(page.pending), 'rows not finished')}
${card('cost-spent', usd(summary.costUsd), 'spent')}
${card('audio-minutes', minutes(summary.audioSeconds), 'audio minutes')}
${card('calls-per-row', perRow.toFixed(2), 'API calls per row')}
</div>
<h2>Throughput over the night</h2>
${chart}
<h2>Cost by model</h2>
${modelsTable(summary)}
<h2>API calls per row</h2>
${callsTable(summary)}
<h2>Failures by reason</h2>
<section id="failures">${failuresSection(summary)}</section>
<h2>Rows needing review</h2>
<section id="needs-review">${reviewSection(summary)}</section>
${page.missingFiles > 0 ? `<p id="missing-files">${count(page.missingFiles)} completed rows have lost their audio file (listed above as failed): enqueue the script again to remake them.</p>` : ''}
</body></html>
`;
}
