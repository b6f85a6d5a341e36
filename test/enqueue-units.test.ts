import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { UsageError } from '../src/errors.js';
import { contentHash } from '../src/enqueue/content-hash.js';
import { estimateRun, EXPECTED_CALLS_PER_ROW, formatDuration } from '../src/enqueue/estimate.js';
import { makeProgress, PLAIN_PROGRESS_INTERVAL_MS } from '../src/enqueue/progress.js';
import { resolveRowDefaults } from '../src/enqueue/row-defaults.js';
import { checkRunName, defaultRunName } from '../src/enqueue/run-name.js';
import { parseScheduleAt } from '../src/enqueue/schedule-at.js';
import { loadSettings } from '../src/settings.js';

test('--at HH:MM is the next occurrence in local time', () => {
  const now = new Date(2026, 4, 1, 1, 30, 15).getTime();
  assert.equal(parseScheduleAt('02:00', now), new Date(2026, 4, 1, 2, 0).getTime());
  assert.equal(parseScheduleAt('2:05', now), new Date(2026, 4, 1, 2, 5).getTime());
  assert.equal(parseScheduleAt('01:00', now), new Date(2026, 4, 2, 1, 0).getTime());
  // The current minute means now (01:30 at 01:30:15), not tomorrow; the minute before is tomorrow.
  assert.equal(parseScheduleAt('01:30', now), new Date(2026, 4, 1, 1, 30).getTime());
  assert.equal(parseScheduleAt('01:29', now), new Date(2026, 4, 2, 1, 29).getTime());
  assert.equal(parseScheduleAt('00:00', now), new Date(2026, 4, 2, 0, 0).getTime());
  assert.equal(parseScheduleAt('23:59', now), new Date(2026, 4, 1, 23, 59).getTime());
  const lateNow = new Date(2026, 11, 31, 23, 0).getTime();
  assert.equal(parseScheduleAt('02:00', lateNow), new Date(2027, 0, 1, 2, 0).getTime());
  for (const bad of ['24:00', '12:60', '7', '7pm', '', '12:5']) {
    assert.throws(() => parseScheduleAt(bad, now), UsageError, bad);
  }
});

test('--at ISO times: local without a zone, UTC with Z, refused in the past (the current minute is now)', () => {
  const now = Date.UTC(2026, 4, 1, 12, 0);
  assert.equal(parseScheduleAt('2026-05-02T02:00:00Z', now), Date.UTC(2026, 4, 2, 2, 0));
  assert.equal(parseScheduleAt('2026-05-02T04:00+02:00', now), Date.UTC(2026, 4, 2, 2, 0));
  assert.equal(parseScheduleAt('2026-05-02T02:00', now), new Date(2026, 4, 2, 2, 0).getTime());
  assert.equal(parseScheduleAt('2026-05-02 02:00', now), new Date(2026, 4, 2, 2, 0).getTime());
  assert.throws(() => parseScheduleAt('2026-05-01T11:59:00Z', now), /in the past/);
  assert.equal(parseScheduleAt('2026-05-01T12:00:00Z', now + 12_000), now);
  assert.equal(parseScheduleAt('2026-05-01T12:00Z', now + 59_999), now);
  assert.throws(() => parseScheduleAt('2026-05-01T12:00:00Z', now + 60_000), /in the past \(now is 20/);
  assert.throws(() => parseScheduleAt('2026-02-30T02:00', now), UsageError);
  assert.throws(() => parseScheduleAt('2026-05-02', now), /not a time/);
});

test('run names: the file name reduced to the id alphabet; given names checked', () => {
  assert.equal(defaultRunName('/x/jobs.csv'), 'jobs');
  assert.equal(defaultRunName('/x/Chapter 1 — draft.jsonl'), 'Chapter-1-draft');
  assert.equal(defaultRunName('/x/.hidden.csv'), 'hidden');
  assert.equal(defaultRunName('/x/....csv'), 'run');
  assert.equal(defaultRunName(`/x/${'a'.repeat(300)}.csv`).length, 128);
  assert.equal(checkRunName('night_2026-05-01.v2'), 'night_2026-05-01.v2');
  for (const bad of ['../x', 'a/b', '.', '..', '', 'a:b', 'x'.repeat(129), 'a b']) {
    assert.throws(() => checkRunName(bad), UsageError, bad);
  }
});

test('row defaults: flags win over settings, settings over the model', () => {
  const settings = loadSettings({
    TTS_MODEL: 'gemini-2.5-flash-tts',
    TTS_VOICE: 'Puck',
    TTS_TEMPERATURE: '1',
  });
  assert.deepEqual(resolveRowDefaults({}, settings), {
    model: 'gemini-2.5-flash-tts',
    voice_1: 'Puck',
    voice_2: undefined,
    temperature: 1,
  });
  assert.deepEqual(
    resolveRowDefaults(
      { model: 'gemini-3.1-flash-tts', voice: 'Kore', voice2: 'Charon', temperature: '0' },
      settings,
    ),
    { model: 'gemini-3.1-flash-tts', voice_1: 'Kore', voice_2: 'Charon', temperature: 0 },
  );
  assert.deepEqual(resolveRowDefaults({}, loadSettings({})), {
    model: 'gemini-3.1-flash-tts',
    voice_1: undefined,
    voice_2: undefined,
    temperature: 0.4,
  });
  assert.throws(() => resolveRowDefaults({}, loadSettings({ TTS_VOICE: 'Nobody' })), /TTS_VOICE/);
  assert.throws(() => resolveRowDefaults({ temperature: '1e1' }, settings), /--temperature/);
});

test('the content hash covers text, model, voices and temperature, and nothing else', () => {
  const base = { text: 'Hello', model: 'gemini-3.1-flash-tts', voice_1: 'Kore', temperature: 0.4 } as const;
  const hash = contentHash(base);
  assert.match(hash, /^[0-9a-f]{16}$/);
  assert.equal(contentHash({ ...base }), hash);
  assert.notEqual(contentHash({ ...base, text: 'Hello!' }), hash);
  assert.notEqual(contentHash({ ...base, model: 'gemini-2.5-flash-tts' }), hash);
  assert.notEqual(contentHash({ ...base, voice_1: 'Puck' }), hash);
  assert.notEqual(contentHash({ ...base, voice_2: 'Puck' }), hash);
  assert.notEqual(contentHash({ ...base, temperature: 0.5 }), hash);
});

test('the estimate: calls at the rate limit vs latency at the concurrency, cost per model', () => {
  const settings = loadSettings({
    SEGMIND_RPM: '100',
    TTS_CONCURRENCY: '4',
    SEGMIND_PRICES: 'gemini-2.5-flash-tts=0.01',
  });
  const estimate = estimateRun(
    {
      validRows: 1000,
      chars: 200_000,
      rowsByModel: { 'gemini-3.1-flash-tts': 600, 'gemini-2.5-flash-tts': 400 },
    },
    settings,
  );
  assert.equal(estimate.apiCalls, 1000 * EXPECTED_CALLS_PER_ROW);
  assert.equal(estimate.rateBoundS, 35 * 60);
  assert.equal(estimate.latencyBoundS, (600 * 8 + 400 * 18) / 4);
  assert.equal(estimate.durationS, 3000);
  assert.ok(Math.abs(estimate.costUsd - (600 * 0.0067 + 400 * 0.01)) < 1e-9);
  assert.equal(formatDuration(3000), '50 min');
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3 h 05 min');
});

test('progress off a terminal: a plain line at most every interval', () => {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  let nowMs = 0;
  const progress = makeProgress({ stream, nowMs: () => nowMs });
  progress.start('reading', 1000, 'rows');
  progress.update(10, 10);
  nowMs = PLAIN_PROGRESS_INTERVAL_MS - 1;
  progress.update(20, 20);
  assert.equal(text, '');
  nowMs = PLAIN_PROGRESS_INTERVAL_MS;
  progress.update(500, 12_345);
  progress.update(600, 12_346);
  progress.stop();
  assert.equal(text, 'enqueue: reading 12,345 rows (50%)\n');
});
