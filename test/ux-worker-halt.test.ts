// Issue 12, item 4: after the API refuses the key, the fleet stops within one call per worker,
// the halt says what to do, and a new key written to `.env` is picked up by the running workers
// when the operator resumes (no restart, no second halt).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { globalKeys } from '../src/queue/keys.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { finishedManifest, until } from './helpers/processes.js';
import { captureLogger } from './helpers/worker.js';
import { addLoggerSecret } from '../src/log.js';
import { loadSettings } from '../src/settings.js';
import { makeRowWorker, type RowWorker } from '../src/worker/make-worker.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const RIGHT_KEY = 'SG_right-key-0001';
const WRONG_KEY = 'SG_wrong-key-0002';

async function night(env: Record<string, string> = {}): Promise<Night> {
  const started = await startNight({ sim: { apiKey: RIGHT_KEY }, env: { TTS_CONCURRENCY: '8', ...env } });
  cleanups.push(() => started.close());
  return started;
}

function worker(env: Record<string, string>, lines: string[]): RowWorker {
  const settings = loadSettings(env);
  const rowWorker = makeRowWorker({
    settings,
    logger: captureLogger(lines, 'debug', [settings.segmindApiKey ?? '']),
  });
  cleanups.push(() => rowWorker.stop());
  return rowWorker;
}

type LogLine = Record<string, unknown>;
const parse = (lines: readonly string[]): LogLine[] =>
  lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);

test('a refused key stops two workers of 8 rows in flight each within one call per worker', async () => {
  const n = await night();
  await enqueueRowsOk(n.target, nightRows(24, 'refused'));
  const env = { ...n.env, SEGMIND_API_KEY: WRONG_KEY };
  const lines: string[] = [];
  const workers = [worker(env, lines), worker(env, lines)];
  const halt = globalKeys(n.env['TTS_QUEUE_PREFIX'] ?? '').halt;
  await until(async () => (await n.client.exists(halt)) === 1, 'the halt');
  const queue = n.queue();
  await until(async () => (await queue.getJobCounts('active'))['active'] === 0, 'every row handed back');
  for (const rowWorker of workers) await rowWorker.stop();
  assert.ok(
    n.sim.ledger().counts.unauthorized <= workers.length,
    `${n.sim.ledger().counts.unauthorized} calls refused, for ${workers.length} workers`,
  );
  assert.equal(n.sim.ledger().submits.length, 0);
  const counts = await queue.getJobCounts('failed', 'completed');
  assert.deepEqual(counts, { failed: 0, completed: 0 }, 'no row failed because of the key');
  const halted = parse(lines).filter((line) => line['event'] === 'run_halted');
  assert.ok(halted.length >= 1 && halted.length <= workers.length);
  for (const line of halted) {
    assert.match(String(line['msg']), /npm run resume/);
    assert.doesNotMatch(String(line['msg']), /tts-batch resume/);
    // This key came from the environment, not from .env: a restart is the way to change it.
    assert.match(String(line['msg']), /restart the workers/);
  }
  assert.ok(!lines.some((line) => line.includes(WRONG_KEY)), 'the key is never logged');
});

const TSX = import.meta.resolve('tsx');
const WORKER_ENTRY = resolve('workers/worker.ts');

test('a new key written to .env is read by the running worker on resume: the run finishes, one call refused', async () => {
  const n = await night({ TTS_CONCURRENCY: '4' });
  const rows = nightRows(8, 'dotenv');
  await enqueueRowsOk(n.target, rows);
  // The user's directory: the key lives in its .env, as README says.
  const home = await mkdtemp(join(tmpdir(), 'tts-dotenv-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  await writeFile(join(home, '.env'), `# my settings\nSEGMIND_API_KEY=${WRONG_KEY}\n`);
  const env: Record<string, string> = { ...n.env, PATH: process.env['PATH'] ?? '' };
  delete env['SEGMIND_API_KEY'];
  const child = spawn(process.execPath, ['--import', TSX, WORKER_ENTRY], {
    cwd: home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines = () => parse(output.join('').split('\n'));
  await until(() => lines().some((line) => line['event'] === 'run_halted'), 'the halt');
  const halted = lines().find((line) => line['event'] === 'run_halted');
  assert.match(String(halted?.['msg']), /\.env/);
  assert.match(String(halted?.['msg']), /npm run resume/);

  await writeFile(join(home, '.env'), `# my settings\nSEGMIND_API_KEY=${RIGHT_KEY}\n`);
  const resumed = await runCli(['resume'], n.env);
  assert.equal(resumed.code, 0, resumed.stderr);
  let entries: Record<string, unknown>[] | undefined;
  await until(
    () => (entries = finishedManifest(n.outDir, rows.length)) !== undefined,
    'the run to finish',
    600,
  ).catch((error: unknown) => assert.fail(`${String(error)}; the worker said:\n${output.join('')}`));
  assert.ok(entries?.every((entry) => entry['status'] === 'completed'));
  assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []);
  assert.equal(n.sim.ledger().counts.unauthorized, 1, 'one refused call: the worker probed its key alone');
  assert.ok(lines().some((line) => line['event'] === 'api_key_reloaded'));
  assert.equal(lines().filter((line) => line['event'] === 'run_halted').length, 1, 'no second halt');
  const text = output.join('');
  assert.ok(!text.includes(WRONG_KEY) && !text.includes(RIGHT_KEY), 'neither key is logged');
  child.kill('SIGTERM');
  await once(child, 'exit');
});

test('a key read again from .env is scrubbed from every later line, as the first one is', () => {
  const lines: string[] = [];
  const logger = captureLogger(lines, 'info', [WRONG_KEY]);
  addLoggerSecret(logger, RIGHT_KEY);
  logger.child({ row: 'r1' }).info({ detail: `sent ${RIGHT_KEY} and ${WRONG_KEY}` }, `key ${RIGHT_KEY}`);
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]?.includes(RIGHT_KEY) && !lines[0]?.includes(WRONG_KEY), lines[0]);
  assert.match(lines[0] ?? '', /\[redacted\]/);
});

test('resumed with the key that was refused: one more call, then the halt again, with the same advice', async () => {
  const n = await night();
  await enqueueRowsOk(n.target, nightRows(6, 'same-key'));
  const env = { ...n.env, SEGMIND_API_KEY: WRONG_KEY };
  const lines: string[] = [];
  worker(env, lines);
  const halts = () => parse(lines).filter((line) => line['event'] === 'run_halted');
  await until(() => halts().length === 1, 'the halt');
  assert.equal(n.sim.ledger().counts.unauthorized, 1);
  const resumed = await runCli(['resume'], n.env);
  assert.equal(resumed.code, 0, resumed.stderr);
  await until(() => halts().length === 2, 'the second halt');
  const queue = n.queue();
  await until(async () => (await queue.getJobCounts('active'))['active'] === 0, 'every row handed back');
  assert.equal(n.sim.ledger().counts.unauthorized, 2, 'one call refused per halt');
  assert.ok(parse(lines).some((line) => line['event'] === 'api_key_retried'));
  assert.match(
    String(halts()[1]?.['msg']),
    /restart the workers with a valid key, then run `npm run resume`/,
  );
  assert.equal(n.sim.ledger().submits.length, 0);
});
