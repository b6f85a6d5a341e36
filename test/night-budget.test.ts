import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startDashboard } from '../src/dashboard/server.js';
import { loadSettings } from '../src/settings.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const ROWS = 24;
const FIT = 9;

test('a budget reached mid-run holds the rest (not failed) with two workers racing for the last dollars; raising it finishes the run', async () => {
  const n = await startNight({ env: { TTS_HOLD_RECHECK_MS: '300' } });
  cleanups.push(() => n.close());
  const settings = loadSettings(n.env);
  const price = settings.pricesUsd['gemini-3.1-flash-tts'];
  // Room for FIT submits and half of one more.
  const budget = price * (FIT + 0.5);
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'budget.jsonl');
  const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `r${i}`, text: `Budgeted line number ${i}.` }));
  await writeFile(script, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');

  const dry = await runCli(
    ['enqueue', script, '--run', 'night', '--budget', budget.toFixed(6), '--dry-run'],
    n.env,
  );
  assert.match(dry.stdout, new RegExp(`BUDGET REACHED before the end: about ${FIT} of ${ROWS} requests fit`));
  const enqueued = await runCli(['enqueue', script, '--run', 'night', '--budget', budget.toFixed(6)], n.env);
  assert.equal(enqueued.code, 0, enqueued.stderr);

  // Two workers, 16 rows in flight: every row races for the budget at once.
  const workers = [startTestWorker({ env: n.env }).rowWorker, startTestWorker({ env: n.env }).rowWorker];
  cleanups.push(() => Promise.all(workers.map((worker) => worker.stop())));
  await until(async () => (await n.lines()).length >= FIT, 'the rows the budget pays for');
  let status = '';
  await until(
    async () => /BUDGET REACHED/.test((status = (await runCli(['status', '--run', 'night'], n.env)).stdout)),
    'status to say BUDGET REACHED',
  );
  assert.match(status, /budget: \$[\d.]+ {2}spent \(reserved by submits\): \$[\d.]+/);
  assert.match(status, /npm run budget -- --run night --usd N/);
  // The dashboard's runs page says it too.
  const dashboard = await startDashboard({ settings: loadSettings(n.env), port: 0 });
  cleanups.push(() => dashboard.close());
  const page = await (await fetch(`${dashboard.url}/`)).text();
  assert.match(page, /BUDGET REACHED at [^:]+:\d\d:\d\d[^<]*rows are held \(not failed\)/);
  assert.match(page, /budget: \$[\d.]+ {2}spent \(reserved by submits\): \$[\d.]+/);
  // Held rows come back every ~300 ms: give them many chances to slip past the limit.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const lines = await n.lines();
  assert.equal(n.sim.ledger().submits.length, FIT, 'billed never above the budget');
  assert.equal(lines.length, FIT);
  assert.ok(
    lines.every((line) => line['status'] === 'completed'),
    'no row failed for the budget',
  );

  const raised = await runCli(['budget', '--run', 'night', '--usd', '10'], n.env);
  assert.equal(raised.code, 0, raised.stderr);
  assert.match(raised.stdout, /night: budget \$10\.00 \(was \$[\d.]+; spent \$[\d.]+\); rows it held go on/);
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, ROWS)) !== undefined, 'the run to finish');
  assert.ok((entries ?? []).every((entry) => entry['status'] === 'completed'));
  assert.equal(n.sim.ledger().submits.length, ROWS);
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []), 0);
  const after = (await runCli(['status', '--run', 'night'], n.env)).stdout;
  assert.doesNotMatch(after, /BUDGET REACHED/);
});

test('--budget is checked: a negative or non-numeric amount is a usage error, nothing enqueued', async () => {
  const bad = await runCli(['enqueue', 'jobs.example.csv', '--budget', 'lots', '--dry-run'], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Expected `--budget` to be an amount of USD >= 0/);
  const missing = await runCli(['budget', '--run', 'x'], {});
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--run and --usd are required/);
});
