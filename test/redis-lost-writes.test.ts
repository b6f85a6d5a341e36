import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { submitJournalFile } from '../src/output/submit-journal.js';
import { runKeys } from '../src/queue/keys.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, spawnWorker, until, type SpawnedWorker } from './helpers/processes.js';
import { startRedisGate } from './helpers/redis-gate.js';
import { sha256 } from './helpers/rows.js';
import { startTestWorker } from './helpers/worker.js';

// Redis may come back without its last writes (a failover to a replica that had not received
// them, a restart from an older snapshot) while it still holds older progress of a row. The
// row's journal in the output directory has every submit: the worker that takes the row over
// must count them, or the manifest records fewer submits than the API billed.
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A new worker (in-process) takes the run's one row over; its manifest entries and log once recorded. */
async function takenOverAndRecorded(
  n: Night,
): Promise<{ entries: Record<string, unknown>[]; logLines: string[] }> {
  const logLines: string[] = [];
  const { rowWorker } = startTestWorker({ env: n.env, logLines });
  cleanups.push(() => rowWorker.stop());
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, 1)) !== undefined, 'the row to be recorded');
  await rowWorker.stop();
  assert.ok(entries);
  return { entries, logLines };
}

test("Redis back from a snapshot that kept a row's first submit and forgot its second: the journal's count is recorded", async () => {
  // Every take is defective: the first is retaken (a second, counted submit), the second kept for review.
  const n = await startNight({
    sim: { defectRate: 1, defects: ['truncated'] },
    env: { TTS_QA_RETAKES: '1' },
  });
  cleanups.push(() => n.close());
  const row = { id: 'lost-1', text: 'A sentence whose second take a restarted Redis forgets.' };
  await enqueueRowsOk(n.target, [row]);
  const progressKey = runKeys(n.env['TTS_QUEUE_PREFIX'] ?? '', 'night').progress;

  // The worker is held right after it stores the first request's answer; Redis is saved then.
  const gate = await startRedisGate(
    { host: '127.0.0.1', port: n.redis.port },
    (args) => args.includes(row.id) && args.some((arg) => arg.includes('"statusUrl"')),
    'after',
  );
  cleanups.push(() => gate.close());
  const first: SpawnedWorker = spawnWorker({ ...n.env, REDIS_URL: gate.url });
  cleanups.push(() => first.kill('SIGKILL'));
  await gate.held;
  await until(
    async () => ((await n.client.hget(progressKey, row.id)) ?? '').includes('"statusUrl"'),
    'the first request stored',
  );
  await n.client.save();
  gate.release();

  // The second submit is made and answered; then the worker and Redis die, and Redis comes back
  // from the snapshot: the row's first request is there, its second submit is not.
  const journal = join(n.outDir, submitJournalFile(row.id));
  const answers = () =>
    readFileSync(journal, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"t":"answer"'));
  await until(
    () => n.sim.ledger().submits.length === 2 && answers().length === 2,
    'the second take answered',
  );
  await first.kill('SIGKILL');
  await n.redis.kill();
  await n.redis.restart();
  const stored = (await n.client.hget(progressKey, row.id)) ?? '';
  assert.match(stored, /"submits":1\b/, 'Redis kept only the first submit');

  const { entries, logLines } = await takenOverAndRecorded(n);
  assert.equal(entries[0]?.['status'], 'completed');
  const billed = n.sim.ledger().submits.filter((submit) => submit.text_sha256 === sha256(row.text));
  assert.ok(billed.length >= 2);
  assert.equal(entries[0]?.['submits'], billed.length, 'every billed take is counted');
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  // The forgotten request was fetched, not paid for again: the only submit after the restart is
  // the re-take of its defective audio.
  assert.equal(logLines.filter((line) => line.includes('"progress_behind_journal"')).length, 1);
  assert.equal(billed.length, 3);
  assert.deepEqual(entries[0]?.['resubmit_reasons'], ['redis-forgot', 'qa:truncated']);
});

test("a worker killed between the journal's answer and Redis's: the next worker polls that request, it does not pay again", async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const row = { id: 'held-1', text: 'A sentence whose answer reached the disk but not Redis.' };
  await enqueueRowsOk(n.target, [row]);
  // Held right before Redis stores the answer (the journal has it already), then SIGKILLed.
  const gate = await startRedisGate(
    { host: '127.0.0.1', port: n.redis.port },
    (args) => args.includes(row.id) && args.some((arg) => arg.includes('"statusUrl"')),
  );
  cleanups.push(() => gate.close());
  const first: SpawnedWorker = spawnWorker({ ...n.env, REDIS_URL: gate.url });
  cleanups.push(() => first.kill('SIGKILL'));
  await gate.held;
  const journal = join(n.outDir, submitJournalFile(row.id));
  await until(() => readFileSync(journal, 'utf8').includes('"t":"answer"'), 'the answer in the journal');
  await first.kill('SIGKILL');
  gate.release();
  const progressKey = runKeys(n.env['TTS_QUEUE_PREFIX'] ?? '', 'night').progress;
  assert.doesNotMatch((await n.client.hget(progressKey, row.id)) ?? '', /"statusUrl"/, 'Redis has no answer');

  const { entries, logLines } = await takenOverAndRecorded(n);
  assert.equal(entries[0]?.['status'], 'completed');
  assert.equal(n.sim.ledger().submits.length, 1, 'billed once');
  assert.equal(entries[0]?.['submits'], 1);
  assert.equal(entries[0]?.['request_id'], n.sim.ledger().submits[0]?.request_id);
  assertBilledAtMostRecorded(n.sim.ledger(), entries);
  assert.equal(logLines.filter((line) => line.includes('"answer_from_journal"')).length, 1);
});
