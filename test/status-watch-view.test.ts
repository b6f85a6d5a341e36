import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { makeRateWindow, windowedRate } from '../src/status/rate-window.js';
import { formatDurationS, shownTime } from '../src/status/render.js';
import type { QueueState, RunProgress } from '../src/status/run-progress.js';
import { watchEta } from '../src/status/watch-view.js';
import { runCli } from './helpers/cli.js';
import { enqueueRowsOk } from './helpers/enqueue-rows.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

const progress = (over: Partial<RunProgress>): RunProgress => ({
  run: 'night',
  outDir: '/out/night',
  rows: 100,
  done: 40,
  failed: 10,
  inFlight: 0,
  waiting: 50,
  scheduled: 0,
  scheduledAt: null,
  audioMinutes: 1,
  calls: 80,
  costUsd: 0.3,
  rowsPerMinute: 10,
  etaS: 300,
  finished: false,
  failures: [],
  enqueue: { kind: 'complete' },
  withoutJob: 0,
  script: '/scripts/night.csv',
  ...over,
});
const RUNNING: QueueState = { paused: false, halt: null };
const PAUSED: QueueState = { paused: true, halt: null };
const HALTED: QueueState = { paused: true, halt: { reason: 'HTTP 401: Invalid API key', at: 'now' } };

test('printed times are local with their UTC offset; text that is no time stays as it is', () => {
  assert.match(shownTime('2026-12-01T07:12:00.000Z'), /^2026-12-0[12]T\d\d:\d2:00[+-]\d\d:\d\d$/);
  assert.equal(shownTime('now'), 'now');
});

test('durations are one token: 42s, 8m54s, 1h02m', () => {
  assert.equal(formatDurationS(42), '42s');
  assert.equal(formatDurationS(534), '8m54s');
  assert.equal(formatDurationS(3720), '1h02m');
  assert.equal(formatDurationS(-3), '0s');
});

test('the rate is of completed rows over the window; a cleared window knows no rate', () => {
  assert.equal(windowedRate([{ atMs: 0, completedRows: 0 }]), undefined);
  assert.equal(
    windowedRate([
      { atMs: 0, completedRows: 0 },
      { atMs: 1000, completedRows: 5 },
    ]),
    undefined,
    'less than 2 s says too little',
  );
  const window = makeRateWindow(30_000);
  for (let s = 0; s <= 60; s += 1) window.add({ atMs: s * 1000, completedRows: s < 30 ? 0 : (s - 30) * 2 });
  assert.equal(window.rowsPerMinute(), 120, 'only the last 30 s count');
  window.clear();
  window.add({ atMs: 61_000, completedRows: 62 });
  assert.equal(window.rowsPerMinute(), undefined);
});

test('the watched ETA: the rows left at the completed rate, none while the queue holds', () => {
  assert.equal(watchEta(progress({}), RUNNING, 10), '5m00s', '50 rows left at 10 a minute');
  assert.equal(watchEta(progress({}), RUNNING, undefined), '--');
  assert.equal(watchEta(progress({}), RUNNING, 0), '--');
  assert.equal(watchEta(progress({}), PAUSED, 10), '--');
  assert.equal(watchEta(progress({}), HALTED, 10), '--');
  assert.equal(watchEta(progress({ done: 90, finished: true }), PAUSED, 10), 'done');
});

let redis: PrivateRedis;
let outRoot: string;
before(async () => {
  redis = await startPrivateRedis();
  outRoot = await mkdtemp(join(tmpdir(), 'tts-watch-plain-'));
});
after(async () => {
  await redis.stop();
  await rm(outRoot, { recursive: true, force: true });
});

/** `tts-batch <args>` in-process, stopped (as Ctrl-C would) once its output says `until`. */
async function watchUntil(args: readonly string[], env: Record<string, string>, until: RegExp) {
  const controller = new AbortController();
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      if (until.test(text)) controller.abort();
      callback();
    },
  });
  const stderr = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const code = await main([...args], { stdout, stderr, env, cwd: outRoot, signal: controller.signal });
  return { code, text };
}

test('status --watch off a terminal says PAUSED while the queue is paused, with no ETA', async () => {
  const env = { REDIS_URL: redis.url, TTS_QUEUE_PREFIX: uniquePrefix('wp'), TTS_OUT_DIR: outRoot };
  const rows = [1, 2, 3].map((n) => ({ id: `r${n}`, text: `Row ${n}.` }));
  await enqueueRowsOk({ env, run: 'night', outRoot, scriptPath: join(outRoot, 'night.jsonl') }, rows);
  assert.equal((await runCli(['pause'], env)).code, 0);

  const one = await watchUntil(['status', '--run', 'night', '--watch'], env, /^PAUSED \| .*\n/m);
  assert.equal(one.code, 0);
  assert.match(one.text, /^queue PAUSED: workers take no new rows until `npm run resume`$/m);
  assert.match(
    one.text,
    /^PAUSED \| night: 0\/3 done \(failed 0, in flight 0, waiting 3\), -- rows\/min, .* ETA --$/m,
  );

  const all = await watchUntil(['status', '--watch'], env, /^night .*\n/m);
  assert.equal(all.code, 0);
  assert.match(all.text, /^queue PAUSED/m);
  assert.match(all.text, /^night +3 +0 +0 +0 +3 +0 .* paused$/m, 'the table says paused where the ETA goes');
  assert.equal((await runCli(['resume'], env)).code, 0);
});
