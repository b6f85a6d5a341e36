import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  resolveRetryPolicy,
  retryDelayMs,
  serverWaitMs,
} from '../src/segmind/retry-policy.js';

const policy = DEFAULT_RETRY_POLICY;
const NOW_MS = Date.parse('2026-11-03T10:00:00.000Z');

test('defaults match the house policy', () => {
  assert.deepEqual(
    { ...policy, retryStatuses: [...policy.retryStatuses] },
    {
      maxRetries: 6,
      minDelayMs: 500,
      maxDelayMs: 30_000,
      factor: 2,
      jitter: 0.25,
      maxServerWaitMs: 120_000,
      retryStatuses: [429, 500, 502, 503, 504],
    },
  );
});

test('backoff doubles from 500 ms up to 30 s without jitter when random() is 0', () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelayMs(attempt, policy, () => 0));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
});

test('jitter takes off at most 25%', () => {
  assert.equal(
    backoffDelayMs(1, policy, () => 0.999_999),
    375,
  );
  assert.equal(
    backoffDelayMs(3, policy, () => 0.5),
    1750,
  );
  assert.equal(
    backoffDelayMs(20, policy, () => 1),
    22_500,
  );
});

test('backoff refuses a bad attempt number, naming it', () => {
  assert.throws(() => backoffDelayMs(0, policy, () => 0), /`attempt`.*`0`/);
  assert.throws(() => backoffDelayMs(1.5, policy, () => 0), RangeError);
});

test('resolveRetryPolicy fills defaults and names a bad field', () => {
  assert.equal(resolveRetryPolicy({ maxRetries: 2 }).maxRetries, 2);
  assert.equal(resolveRetryPolicy({ maxRetries: 2 }).minDelayMs, 500);
  assert.throws(
    () => resolveRetryPolicy({ jitter: 2 }),
    /Expected `jitter` to be a number from 0 to 1, got `2`/,
  );
  assert.throws(() => resolveRetryPolicy({ maxRetries: -1 }), /`maxRetries`/);
});

test('Retry-After in seconds and as an HTTP date', () => {
  assert.equal(serverWaitMs(new Headers({ 'retry-after': '7' }), NOW_MS, policy), 7000);
  const date = new Date(NOW_MS + 12_000).toUTCString();
  assert.equal(serverWaitMs(new Headers({ 'retry-after': date }), NOW_MS, policy), 12_000);
  assert.equal(serverWaitMs(new Headers({ 'retry-after': 'soon' }), NOW_MS, policy), undefined);
  assert.equal(serverWaitMs(new Headers(), NOW_MS, policy), undefined);
});

test('x-rate-limit-reset-at-utc as ISO, epoch seconds and epoch milliseconds', () => {
  const iso = new Date(NOW_MS + 4000).toISOString();
  assert.equal(serverWaitMs(new Headers({ 'x-rate-limit-reset-at-utc': iso }), NOW_MS, policy), 4000);
  const seconds = String(Math.floor(NOW_MS / 1000) + 9);
  assert.equal(serverWaitMs(new Headers({ 'x-rate-limit-reset-at-utc': seconds }), NOW_MS, policy), 9000);
  const ms = String(NOW_MS + 2500);
  assert.equal(serverWaitMs(new Headers({ 'x-rate-limit-reset-at-utc': ms }), NOW_MS, policy), 2500);
});

test('server waits are clamped to 0..maxServerWaitMs and the longest wins', () => {
  const past = new Date(NOW_MS - 60_000).toISOString();
  assert.equal(serverWaitMs(new Headers({ 'x-rate-limit-reset-at-utc': past }), NOW_MS, policy), 0);
  assert.equal(serverWaitMs(new Headers({ 'retry-after': '3600' }), NOW_MS, policy), 120_000);
  const both = new Headers({
    'retry-after': '2',
    'x-rate-limit-reset-at-utc': new Date(NOW_MS + 5000).toISOString(),
  });
  assert.equal(serverWaitMs(both, NOW_MS, policy), 5000);
});

test('a server wait wins over computed backoff, with no jitter', () => {
  assert.equal(
    retryDelayMs(5, 1234, policy, () => 0.9),
    1234,
  );
  assert.equal(
    retryDelayMs(2, undefined, policy, () => 0),
    1000,
  );
});
