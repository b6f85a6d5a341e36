import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLL_OPTIONS, nextPollDelayMs, type LatencyEstimate } from '../src/worker/poll-schedule.js';
import { priorMedianMs } from '../src/worker/latency-stats.js';

const learned: LatencyEstimate = { medianMs: 8000, sigma: 0.3, observations: 50 };
const adaptive = DEFAULT_POLL_OPTIONS;

test('the prior is calibrated on the model table: ~8 s and ~18 s for 200 characters', () => {
  assert.equal(priorMedianMs('gemini-3.1-flash-tts', 200), 8000);
  assert.equal(priorMedianMs('gemini-2.5-flash-tts', 200), 18000);
  assert.ok(priorMedianMs('gemini-3.1-flash-tts', 1000) > priorMedianMs('gemini-3.1-flash-tts', 100));
});

test('adaptive: the first poll lands before the median, later waits grow with elapsed time', () => {
  const first = nextPollDelayMs(adaptive, learned, 0, 0);
  assert.ok(first > 5000 && first < 8000, `first poll at ${first} ms`);
  const second = nextPollDelayMs(adaptive, learned, first, 1);
  const third = nextPollDelayMs(adaptive, learned, first + second, 2);
  assert.ok(second > 0 && third > second, 'waits grow');
  assert.ok(
    second <= 0.2 * first,
    'each wait is a small share of the elapsed time, bounding detection delay',
  );
});

test('adaptive cold start: before the fleet has observations, the first poll comes within a second', () => {
  const cold: LatencyEstimate = { medianMs: 8000, sigma: 0.5, observations: 0 };
  assert.ok(nextPollDelayMs(adaptive, cold, 0, 0) <= 1000);
});

test('a late first poll (the row resumed after a crash) happens at once', () => {
  assert.equal(nextPollDelayMs(adaptive, learned, 60_000, 0), adaptive.minIntervalMs);
});

test('fixed and exponential schedules are selectable for comparison', () => {
  assert.equal(nextPollDelayMs({ ...adaptive, name: 'fixed' }, learned, 12_345, 7), 1000);
  const exponential = { ...adaptive, name: 'exponential' } as const;
  assert.deepEqual(
    [0, 1, 2, 3, 10].map((polls) => nextPollDelayMs(exponential, learned, 0, polls)),
    [1000, 2000, 4000, 8000, 30_000],
  );
});
