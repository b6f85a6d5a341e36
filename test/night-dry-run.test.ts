import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type Row = { id: string; text: string };

async function writeScript(n: Night, rows: readonly Row[]): Promise<string> {
  const dir = join(n.target.outRoot, 'scripts');
  await mkdir(dir, { recursive: true });
  const script = join(dir, 'night.jsonl');
  await writeFile(script, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return script;
}

async function runToEnd(n: Night, rows: number): Promise<Record<string, unknown>[]> {
  const { rowWorker } = startTestWorker({ env: n.env });
  cleanups.push(() => rowWorker.stop());
  let entries: Record<string, unknown>[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, rows)) !== undefined, 'the run to finish');
  await rowWorker.stop();
  return entries ?? [];
}

/** Every key of the night's Redis with its type and content: what a read-only command must leave as it was. */
async function snapshot(n: Night): Promise<string> {
  const keys = (await n.client.keys('*')).sort();
  const parts = await Promise.all(
    keys.map(async (key) => {
      const type = await n.client.type(key);
      const value =
        type === 'hash'
          ? await n.client.hgetall(key)
          : type === 'string'
            ? await n.client.get(key)
            : type === 'zset'
              ? await n.client.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES')
              : type === 'list'
                ? await n.client.lrange(key, 0, -1)
                : type === 'set'
                  ? (await n.client.smembers(key)).sort()
                  : type;
      return `${key} ${type} ${JSON.stringify(value)}`;
    }),
  );
  return parts.join('\n');
}

test('the dry run of a re-enqueue tells new, changed, done and removed rows, bills only the rows to make at the observed price, and the real enqueue bills exactly that', async () => {
  // The price table says $0.01 a call; the simulator bills $0.0067 (its model's price): the
  // observed cost must come from what the rows cost, not from the table.
  const n = await startNight({ env: { SEGMIND_PRICES: 'gemini-3.1-flash-tts=0.01' } });
  cleanups.push(() => n.close());
  const first: Row[] = Array.from({ length: 10 }, (_, i) => ({
    id: `r${i}`,
    text: `Line ${i} of the night's first reading, spoken evenly.`,
  }));
  const script = await writeScript(n, first);
  const enqueued = await runCli(['enqueue', script, '--run', 'night', '--budget', '1'], n.env);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  const done = await runToEnd(n, 10);
  assert.equal(n.sim.ledger().submits.length, 10);
  const observedPerRow = done.reduce((sum, entry) => sum + Number(entry['cost']), 0) / 10;
  assert.ok(Math.abs(observedPerRow - 0.0067) < 1e-9, `the simulator billed ${observedPerRow} a row`);

  // Edit 2 (r1, r2), remove 1 (r9), add 3 (r10-r12).
  const second: Row[] = [
    ...first
      .slice(0, 9)
      .map((row) => (row.id === 'r1' || row.id === 'r2' ? { ...row, text: `${row.text} Edited.` } : row)),
    ...[10, 11, 12].map((i) => ({ id: `r${i}`, text: `Line ${i}, added for the second reading.` })),
  ];
  await writeScript(n, second);
  const before = await snapshot(n);
  const dry = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], n.env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(await snapshot(n), before, 'the dry run wrote nothing to Redis');
  const out = dry.stdout;
  assert.match(out, /^compared with the run in Redis and .*night:$/m);
  assert.match(out, /^ {2}new: +3 \(/m);
  assert.match(out, /^ {2}changed: +2 \(/m);
  assert.match(out, /^ {2}done: +7 \(/m);
  assert.match(out, /^ {2}removed: +1 \(/m);
  assert.match(out, /^rows: +5 billed \(of 12 in the script\)$/m);
  // The price table: 5 requests at $0.01; observed: 5 rows at what the first 10 cost.
  assert.match(out, /^estimated cost: +\$0\.0500 /m);
  const observed = 5 * observedPerRow;
  assert.match(
    out,
    new RegExp(
      `^observed cost: +\\$${observed.toFixed(4).replace('.', '\\.')} for 5 rows at \\$0\\.0067 a row \\(what this run's 10 rows done cost\\)$`,
      'm',
    ),
  );
  // Calls per row as the first 10 rows took them, not the 3.5 prior.
  assert.match(out, /^API calls: +~\d+ \(\d+\.\d per row, as earlier rows took: /m);
  assert.match(
    out,
    /^expected audio: +~\d+\.\d min \(the fleet's learned speaking rate for 1 model and voice, /m,
  );
  assert.match(out, /^ {2}gemini-3\.1-flash-tts \S+: 5 rows$/m);

  // The budget as the run stands: $0.067 of $0.09 spent leaves room for 2 requests at $0.01.
  const tight = await runCli(['enqueue', script, '--run', 'night', '--dry-run', '--budget', '0.09'], n.env);
  assert.match(
    tight.stdout,
    /^budget: +\$0\.0900, \$0\.0670 of it spent \(BUDGET REACHED before the end: about 2 of 5 requests fit;/m,
  );
  assert.match(out, /^budget: +\$1\.00, \$0\.0670 of it spent \(the estimate fits\)$/m);

  const billedBefore = n.sim.ledger().submits.length;
  const again = await runCli(['enqueue', script, '--run', 'night'], n.env);
  assert.equal(again.code, 0, again.stderr);
  const entries = await runToEnd(n, 12);
  assert.equal(n.sim.ledger().submits.length - billedBefore, 5, 'billed exactly the predicted requests');
  assert.ok(entries.every((entry) => entry['status'] === 'completed'));
  assert.equal(assertBilledAtMostRecorded(n.sim.ledger(), entries, 'current'), 0);

  // Nothing left to make: the dry run says so, with nothing to bill.
  const settled = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], n.env);
  assert.match(settled.stdout, /^ {2}new: +0 \(/m);
  assert.match(settled.stdout, /^ {2}done: +12 \(/m);
  assert.match(settled.stdout, /^rows: +0 billed \(of 12 in the script\)$/m);

  // Redis restarted empty: the audio on disk would be adopted, not made again.
  await n.client.flushall();
  const adopted = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], n.env);
  assert.match(adopted.stdout, /^ {2}new: +0 \(/m);
  assert.match(adopted.stdout, /^ {2}done: +12 \(.*; 12 of them adopted from the output directory\)$/m);
  assert.match(adopted.stdout, /^rows: +0 billed \(of 12 in the script\)$/m);
  assert.deepEqual(await n.client.keys('*'), [], 'the dry run wrote nothing to Redis');
});

test('without Redis the dry run prints the script-only estimate and says it could not compare (exit 0)', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const script = await writeScript(n, [{ id: 'a', text: 'Only the script is known.' }]);
  const dry = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], {
    ...n.env,
    REDIS_URL: 'redis://127.0.0.1:1',
  });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /^compared with the run: could not \(Cannot reach Redis .*\); every valid row counted as billed$/m,
  );
  assert.match(dry.stdout, /^rows: +1$/m);
  assert.match(
    dry.stdout,
    /^expected audio: +~0\.0 min \(~15 speech-weighted chars\/s, no rate learned yet\)$/m,
  );
});

test('rows whose jobs are already queued are told as queued, not billed again', async () => {
  const n = await startNight();
  cleanups.push(() => n.close());
  const script = await writeScript(n, [
    { id: 'a', text: 'Waiting for a worker.' },
    { id: 'b', text: 'Also waiting.' },
  ]);
  const enqueued = await runCli(['enqueue', script, '--run', 'night'], n.env);
  assert.equal(enqueued.code, 0, enqueued.stderr);
  await writeScript(n, [
    { id: 'a', text: 'Waiting for a worker.' },
    { id: 'b', text: 'Also waiting.' },
    { id: 'c', text: 'A third row.' },
  ]);
  const dry = await runCli(['enqueue', script, '--run', 'night', '--dry-run'], n.env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^ {2}new: +1 \(/m);
  assert.match(dry.stdout, /^ {2}queued: +2 \(same content, job already queued: not added again/m);
  assert.match(dry.stdout, /^rows: +1 billed \(of 3 in the script\)$/m);
  assert.equal(await n.queue().count(), 2, 'the dry run added no job');
});
