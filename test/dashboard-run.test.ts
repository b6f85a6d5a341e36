import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { loadSettings } from '../src/settings.js';
import { runCli } from './helpers/cli.js';
import { failuresByReason, runThroughFaults } from './helpers/dashboard-run.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, type Night } from './helpers/night.js';
import { until } from './helpers/processes.js';

// A real run through faults (429, 5xx, dropped connections, FAILED inferences), then what the
// dashboard shows of it: /metrics and the runs page, over HTTP.

let night: Night;
let dashboard: RunningDashboard;
let entries: readonly Record<string, unknown>[] = [];

before(async () => {
  ({ night, entries } = await runThroughFaults());
  dashboard = await startDashboard({ settings: loadSettings(night.env), port: 0 });
});

after(async () => {
  await dashboard?.close();
  await night?.close();
});

/** The value of one sample line of the Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The sum of every sample of `name` whose labels include `labelPart`. */
function total(text: string, name: string, labelPart = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labelPart))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const failedEntries = () => entries.filter((entry) => entry['status'] === 'failed');

test('the run met every kind of fault (the test is about showing them)', () => {
  const { counts } = night.sim.ledger();
  assert.ok(counts.r429 > 0 && counts.r5xx > 0 && counts.reset > 0, JSON.stringify(counts));
  assert.ok(failedEntries().length > 0, 'some rows failed');
});

test('/metrics: API answers by call and status class, as many as the API gave', async () => {
  const { counts } = night.sim.ledger();
  let text = '';
  // The worker counts without awaiting: wait until its last counts are in.
  await until(
    async () => {
      text = await (await fetch(`${dashboard.url}/metrics`)).text();
      return total(text, 'tts_api_answers_total', 'class="429"') === counts.r429;
    },
    `429s in /metrics (the simulator answered ${counts.r429})`,
    100,
    100,
  );
  assert.equal(total(text, 'tts_api_answers_total', 'class="5xx"'), counts.r5xx);
  assert.equal(total(text, 'tts_api_answers_total', 'class="network"'), counts.reset);
  assert.equal(sample(text, 'tts_api_answers_total', 'call="download",class="2xx"'), counts.download);
  assert.ok(
    sample(text, 'tts_api_answers_total', 'call="submit",class="2xx"') >= night.sim.ledger().submits.length,
  );
  assert.ok(
    total(text, 'tts_api_answers_total', 'class="4xx"') >= counts.failed,
    'a FAILED inference answers 422',
  );
});

test('/metrics: failed rows of the run by reason, adding up to the failed rows', async () => {
  const text = await (await fetch(`${dashboard.url}/metrics`)).text();
  const failed = failedEntries();
  assert.equal(total(text, 'tts_run_failed_rows', 'run="night"'), failed.length);
  for (const entry of failed) {
    assert.ok(
      text.includes(`tts_run_failed_rows{run="night",reason="${String(entry['error'])}"}`),
      `reason ${String(entry['error'])} in:\n${text}`,
    );
  }
  assert.equal(sample(text, 'tts_run_rows', 'run="night",state="failed"'), failed.length);
});

test('the runs page: rows, failures by reason, cost, audio, rate, ETA, output directory, API answers', async () => {
  const page = await (await fetch(`${dashboard.url}/`)).text();
  const failed = failedEntries();
  const cells = [entries.length, entries.length - failed.length, failed.length].map(
    (n) => `<td class="n">${n}</td>`,
  );
  assert.ok(page.includes(`<td class="n">${entries.length}</td>`));
  assert.match(page, new RegExp(`<tr data-run="night">.*${cells.join('')}`), 'rows, done, failed');
  assert.ok(page.includes(`<code class="out-dir">${night.outDir}</code>`), 'the output directory');
  assert.match(page, /<td class="n rate">[\d.]+<\/td>/, 'the rate');
  assert.match(page, /<td class="eta">finished<\/td>/);
  const reasons = failuresByReason(entries);
  for (const [reason, rows] of reasons) {
    assert.ok(
      page.includes(`<li><span class="n">${rows}</span> ${reason}</li>`),
      `failure reason ${reason} (${rows} rows) in:\n${page}`,
    );
  }
  const { counts } = night.sim.ledger();
  assert.match(page, new RegExp(`<span class="answer" data-class="429">429: ${counts.r429}</span>`));
  assert.match(page, /Completed/, "why bull-board's Completed tab is empty");
});

test('a paused queue: the runs page says so, and an unfinished run reads paused, not a countdown', async () => {
  const later = { ...night.target, run: 'later', scriptPath: `${night.target.scriptPath}.later.jsonl` };
  await enqueueRowsOk(later, nightRows(3, 'later'));
  assert.equal((await runCli(['pause'], night.env)).code, 0);
  try {
    const page = await (await fetch(`${dashboard.url}/`)).text();
    assert.match(page, /<p class="alert">Queue paused/);
    assert.match(page, /<tr data-run="later">.*<td class="eta">paused<\/td><\/tr>/);
    assert.match(page, /<tr data-run="night">.*<td class="eta">finished<\/td><\/tr>/);
  } finally {
    assert.equal((await runCli(['resume'], night.env)).code, 0);
  }
});
