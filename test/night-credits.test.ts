import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { globalKeys, runKeys } from '../src/queue/keys.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import type { Ledger } from '../src/simulator/ledger.js';
import { formatCreditsUsd } from '../src/worker/credit-watch.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { NIGHT_API_KEY, nightRows } from './helpers/night.js';
import { nightKit } from './helpers/night-kit.js';
import { until } from './helpers/processes.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});
const { night, worker, finished } = nightKit(cleanups);

const PRICE_USD = 0.0067;

test('the simulator reports the remaining credits in x-remaining-credits and metrics.remaining_credits', async () => {
  const sim = await startSimulator({ port: 0, latencyScale: 0.001, credits: 1, apiKey: NIGHT_API_KEY });
  cleanups.push(() => sim.close());
  const headers = { 'x-api-key': NIGHT_API_KEY, 'content-type': 'application/json' };
  const submit = await fetch(`${sim.url}/v2/gemini-3.1-flash-tts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text: 'Credits, please.' }),
  });
  assert.equal(submit.headers.get('x-remaining-credits'), '1');
  const { response_url: responseUrl } = (await submit.json()) as { response_url: string };
  let result: Response;
  do {
    await new Promise((resolve) => setTimeout(resolve, 20));
    result = await fetch(responseUrl, { headers });
  } while (((await result.clone().json()) as { status: string }).status !== 'COMPLETED');
  const body = (await result.json()) as { metrics: { remaining_credits: number } };
  assert.equal(body.metrics.remaining_credits, 1 - PRICE_USD);
  assert.equal(result.headers.get('x-remaining-credits'), String(1 - PRICE_USD));
});

test('credits below TTS_MIN_CREDITS_USD halt the fleet before any 406; rows are held, then finish', async () => {
  const credits = 0.1;
  const n = await night({
    sim: { credits },
    env: { TTS_MIN_CREDITS_USD: '0.05', TTS_CONCURRENCY: '3' },
  });
  const rows = nightRows(24, 'credit');
  await enqueueRowsOk(n.target, rows);
  worker(n.env);
  const halt = globalKeys(n.env['TTS_QUEUE_PREFIX'] ?? '').halt;
  await until(async () => (await n.client.exists(halt)) === 1, 'the fleet to halt');
  assert.match(
    String(await n.client.hget(halt, 'reason')),
    /credits: \$0\.0\d+ left, below TTS_MIN_CREDITS_USD/,
  );
  assert.equal(await n.queue().isPaused(), true);

  // Every request already paid for is collected; nothing new is submitted.
  const outcomes = runKeys(n.env['TTS_QUEUE_PREFIX'] ?? '', 'night').outcomes;
  await until(
    async () => (await n.client.hlen(outcomes)) === n.sim.ledger().submits.length,
    'the rows in flight to finish',
  );
  const held = n.sim.ledger();
  assert.equal(held.counts.insufficient_credits, 0, 'the API never answered 406');
  assert.ok((held.credits_remaining ?? 0) >= PRICE_USD, `left ${held.credits_remaining}`);
  assert.ok(held.submits.length < rows.length, `submitted ${held.submits.length} of ${rows.length}`);
  const lines = await n.lines();
  assert.ok(
    lines.every((line) => line['status'] === 'completed'),
    'no row failed',
  );
  assert.equal((await n.queue().getJobCounts('failed'))['failed'], 0);

  const status = await runCli(['status'], n.env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /HALTED at .*credits: \$0\.0\d+ left/);
  const shown = formatCreditsUsd(held.credits_remaining ?? Number.NaN);
  assert.ok(status.stdout.includes(`credits: ${shown} left (at `), status.stdout);

  // The operator adds credits (a simulator with more, on the same port) and resumes.
  const port = n.sim.port;
  await n.sim.close();
  const topped: RunningSimulator = await startSimulator({
    port,
    latencyScale: 0.02,
    seed: 8,
    apiKey: NIGHT_API_KEY,
    credits: 5,
  });
  cleanups.push(() => topped.close());
  const resumed = await runCli(['resume'], n.env);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /credits/);
  const entries = await finished(n, rows.length);
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  const both: Ledger = { ...topped.ledger(), submits: [...held.submits, ...topped.ledger().submits] };
  assertBilledAtMostRecorded(both, entries);
  assert.equal(topped.ledger().counts.insufficient_credits, 0);
  const after = await runCli(['status'], n.env);
  assert.match(after.stdout, /credits: \$4\.\d{4} left/);
});
