// Issue 12, item 7: every row that fails says so at `warn`, with its reason, at the default log
// level, whichever way it fails. Each case runs `npm run worker`'s entry point as its own process
// with LOG_LEVEL unset, against the simulator, and reads its stdout.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startApiProxy } from './helpers/api-proxy.js';
import { assertBilledAtMostRecorded } from './helpers/billing.js';
import { enqueueRowsOk, type ScriptRow } from './helpers/enqueue-rows.js';
import { nightRows, startNight, type Night } from './helpers/night.js';
import { finishedManifest, spawnWorker, until } from './helpers/processes.js';
import type { SimulatorOptions } from '../src/simulator/options.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

type LogLine = Record<string, unknown>;

function parseLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

type Case = {
  readonly sim?: Partial<SimulatorOptions>;
  readonly env?: Record<string, string>;
  readonly rows?: readonly ScriptRow[];
  /** A proxy between the worker and the simulator that keeps every request PROCESSING. */
  readonly stuck?: boolean;
};

/** Runs `rows` to the end through a worker process at the default log level; returns its log lines and the manifest. */
async function failAtDefaultLevel(options: Case): Promise<{ lines: LogLine[]; entries: LogLine[] }> {
  const n: Night = await startNight({
    ...(options.sim ? { sim: options.sim } : {}),
    env: { TTS_CONCURRENCY: '2', ...options.env },
  });
  cleanups.push(() => n.close());
  const rows = options.rows ?? nightRows(2, 'fails');
  await enqueueRowsOk(n.target, rows);
  let baseUrl = n.sim.url;
  if (options.stuck) {
    const proxy = await startApiProxy(n.sim.url, (request) => {
      if (request.method !== 'GET' || !request.path.startsWith('/v2/requests/')) return undefined;
      const id = /\/v2\/requests\/([^/]+)/.exec(request.path)?.[1] ?? '';
      return { status: 200, body: JSON.stringify({ status: 'PROCESSING', request_id: id, metrics: {} }) };
    });
    cleanups.push(() => proxy.close());
    baseUrl = proxy.url;
  }
  const env: Record<string, string> = { ...n.env, SEGMIND_BASE_URL: baseUrl };
  delete env['LOG_LEVEL'];
  const worker = spawnWorker(env);
  cleanups.push(() => worker.kill('SIGKILL'));
  let entries: LogLine[] | undefined;
  await until(() => (entries = finishedManifest(n.outDir, rows.length)) !== undefined, 'the run to finish');
  await until(
    () => parseLines(worker.output()).filter((line) => line['event'] === 'row_failed').length >= rows.length,
    'a row_failed line per row',
    200,
  ).catch(() => undefined);
  await worker.kill('SIGTERM');
  assertBilledAtMostRecorded(n.sim.ledger(), entries ?? []);
  return { lines: parseLines(worker.output()), entries: entries ?? [] };
}

/** Every row of the manifest failed, and each has one `warn` line naming it and its reason. */
function assertEachFailureWarned(lines: LogLine[], entries: LogLine[], reason: RegExp): void {
  assert.ok(entries.length > 0);
  assert.ok(
    lines.every((line) => Number(line['level']) >= 30),
    'the default level is info: no debug lines',
  );
  for (const entry of entries) {
    assert.equal(entry['status'], 'failed', `row ${String(entry['id'])} failed`);
    assert.match(String(entry['error']), reason);
    const warned = lines.filter(
      (line) => line['event'] === 'row_failed' && line['row'] === entry['id'] && line['level'] === 40,
    );
    assert.equal(warned.length, 1, `one warn line for row ${String(entry['id'])}:\n${JSON.stringify(lines)}`);
    assert.equal(warned[0]?.['reason'], entry['error'], 'the line carries the reason the manifest has');
  }
}

test('a row the API refuses at submit (400) warns with the reason', async () => {
  const rows = nightRows(2, 'voice').map((row) => ({ ...row, voice_1: 'Leda' }));
  const { lines, entries } = await failAtDefaultLevel({ sim: { strictVoices: true }, rows });
  assertEachFailureWarned(lines, entries, /HTTP 400/);
});

test('an inference that ends FAILED (422) warns with the reason', async () => {
  const { lines, entries } = await failAtDefaultLevel({ sim: { rateFailed: 1 } });
  assertEachFailureWarned(lines, entries, /422/);
});

test('a row that gives up after transient failures warns with the reason', async () => {
  const { lines, entries } = await failAtDefaultLevel({
    sim: { rate5xx: 1 },
    env: { TTS_HTTP_RETRIES: '0', TTS_ROW_TRANSIENT_FAILURES: '0' },
  });
  assertEachFailureWarned(lines, entries, /transient failures/);
});

test('a row that gives up after ambiguous submits warns with the reason', async () => {
  const { lines, entries } = await failAtDefaultLevel({ sim: { rateReset: 1, resetPhase: 'after' } });
  assertEachFailureWarned(lines, entries, /unknown outcome/);
});

test('a row past its deadline twice warns with the reason', async () => {
  const { lines, entries } = await failAtDefaultLevel({
    env: { TTS_ROW_DEADLINE_MS: '1500' },
    stuck: true,
  });
  assertEachFailureWarned(lines, entries, /deadline/);
});

test('a job that fails outside the row steps on its last attempt warns with the reason', async () => {
  const n: Night = await startNight();
  cleanups.push(() => n.close());
  await enqueueRowsOk(n.target, nightRows(1, 'ok'));
  // A job the product did not make (written into Redis by someone else), with one attempt: it
  // has no data, so it fails before any row step, in BullMQ's attempts.
  const queue = n.queue();
  await queue.add('row', null, { jobId: 'planted-job', attempts: 1 });
  const env: Record<string, string> = { ...n.env };
  delete env['LOG_LEVEL'];
  const worker = spawnWorker(env);
  cleanups.push(() => worker.kill('SIGKILL'));
  await until(
    () => parseLines(worker.output()).some((line) => line['job'] === 'planted-job' && line['level'] === 40),
    'a warn line about the planted job',
    400,
  ).catch(() => undefined);
  await worker.kill('SIGTERM');
  const lines = parseLines(worker.output());
  const warned = lines.filter((line) => line['job'] === 'planted-job' && line['level'] === 40);
  assert.equal(warned.length, 1, JSON.stringify(lines));
  assert.equal(warned[0]?.['event'], 'job_failed');
  assert.ok(String(warned[0]?.['reason']).length > 0, 'with the reason');
});
