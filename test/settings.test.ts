import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { DEFAULT_SETTINGS, loadSettings } from '../src/settings.js';

test('defaults apply when nothing is set', () => {
  const settings = loadSettings({});
  assert.equal(settings.redisUrl, DEFAULT_SETTINGS.redisUrl);
  assert.equal(settings.concurrency, 16);
  assert.equal(settings.segmindRpm, 50);
  assert.equal(settings.queuePrefix, 'tts');
  assert.equal(settings.segmindApiKey, undefined);
  assert.equal(settings.pricesUsd['gemini-3.1-flash-tts'], 0.0067);
});

test('a bad value names the variable and the value', () => {
  assert.throws(
    () => loadSettings({ SEGMIND_RPM: '-3' }),
    (error: unknown) =>
      error instanceof ConfigError && error.variable === 'SEGMIND_RPM' && error.message.includes('`-3`'),
  );
  assert.throws(() => loadSettings({ TTS_POLL_SCHEDULE: 'sometimes' }), /TTS_POLL_SCHEDULE/);
  assert.throws(() => loadSettings({ SEGMIND_PRICES: 'gemini-9=1' }), /SEGMIND_PRICES/);
});

test('prices can be overridden per model', () => {
  const settings = loadSettings({ SEGMIND_PRICES: 'gemini-2.5-flash-tts=0.01' });
  assert.equal(settings.pricesUsd['gemini-2.5-flash-tts'], 0.01);
  assert.equal(settings.pricesUsd['gemini-3.1-flash-tts'], 0.0067);
});
