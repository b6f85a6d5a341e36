import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatLocalTime, MINUTE } from '../src/time.js';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';
import { until } from './helpers/processes.js';

let redis: PrivateRedis;
let box: Sandbox;
before(async () => {
  redis = await startPrivateRedis();
  box = await makeSandbox(redis.url, uniquePrefix('at'));
  await box.write('s.csv', 'id,text\na,Hello there.\nb,General Kenobi.\n');
});
after(async () => {
  await box.close();
  await redis.stop();
});

const pad = (value: number) => String(value).padStart(2, '0');
const clock = (ms: number) => `${pad(new Date(ms).getHours())}:${pad(new Date(ms).getMinutes())}`;
/** One printed time format: local ISO to the second with the UTC offset. */
const LOCAL_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}/;

/** Waits, if need be, until the minute has a few seconds left, so that "this minute" holds. */
async function earlyInAMinute(): Promise<number> {
  await until(() => Date.now() % MINUTE < 45_000, 'a minute with time left');
  return Date.now();
}

test('--at HH:MM of the current minute starts now (it meant tomorrow); the summary says so', async () => {
  const now = await earlyInAMinute();
  const result = await box.enqueue('s.csv', '--run', 'now', '--at', clock(now));
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    new RegExp(`^scheduled: ${LOCAL_TIME.source} \\(now: the jobs start at once\\)$`, 'm'),
  );
  assert.ok(result.stdout.includes(formatLocalTime(Math.floor(now / MINUTE) * MINUTE)), result.stdout);
  const counts = await box.queue().getJobCounts('waiting', 'delayed');
  assert.deepEqual(counts, { waiting: 2, delayed: 0 });
});

test('--dry-run --at shows the start, in the one time format with its offset', async () => {
  const now = await earlyInAMinute();
  const later = now + 90 * MINUTE;
  const result = await box.enqueue('s.csv', '--dry-run', '--at', clock(later));
  assert.equal(result.code, 0, result.stderr);
  const start = new RegExp(
    `^start: (${LOCAL_TIME.source}) \\(in 1 h (29|30) min; the jobs wait until then\\)$`,
    'm',
  );
  const printed = start.exec(result.stdout)?.[1];
  assert.ok(printed, result.stdout);
  assert.equal(Date.parse(printed), Math.floor(later / MINUTE) * MINUTE);
});

test('a held run prints its start in the same format; a past ISO time names now in it', async () => {
  const now = await earlyInAMinute();
  const held = await box.enqueue('s.csv', '--run', 'held', '--at', clock(now + 3 * MINUTE));
  assert.equal(held.code, 0, held.stderr);
  assert.match(
    held.stdout,
    new RegExp(`^scheduled: ${LOCAL_TIME.source} \\(in [34] min; the jobs wait until then\\)$`, 'm'),
  );
  const past = await box.enqueue('s.csv', '--run', 'past', '--at', '2020-01-01T00:00');
  assert.equal(past.code, 2);
  assert.match(past.stderr, new RegExp(`it is in the past \\(now is ${LOCAL_TIME.source}\\)`));
});
