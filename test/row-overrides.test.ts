import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowJobData, RowRequest } from '../src/queue/row-job.js';
import { decodeOverride, encodeOverride, mergeOverride, withOverride } from '../src/queue/row-overrides.js';

const script: RowRequest = {
  text: 'A line.',
  model: 'gemini-3.1-flash-tts',
  voice_1: 'Kore',
  temperature: 0.4,
};
const data: RowJobData = {
  run: 'night',
  id: 'q7',
  line: 8,
  seq: 6,
  request: script,
  meta: {},
  contentHash: 'h1',
};

test('an override round-trips; a stored value that could not be sent is left out', () => {
  const override = { h: 'h1', voice_1: 'Puck', temperature: 1.1 };
  assert.deepEqual(decodeOverride(encodeOverride(override)), override);
  assert.deepEqual(decodeOverride('{"h":"h1","voice_1":"Nobody","temperature":1.1}'), {
    h: 'h1',
    temperature: 1.1,
  });
  assert.equal(decodeOverride('{"h":"h1","temperature":3}'), undefined);
  assert.equal(decodeOverride('{"voice_1":"Puck"}'), undefined);
  assert.equal(decodeOverride('not json'), undefined);
  assert.equal(decodeOverride(null), undefined);
});

test('a later retake keeps the fields it does not change; the script value given back drops a field', () => {
  const first = mergeOverride(undefined, { voice_1: 'Puck' }, script, 'h1');
  assert.deepEqual(first, { h: 'h1', voice_1: 'Puck' });
  const second = mergeOverride(first, { temperature: 1.1 }, script, 'h1');
  assert.deepEqual(second, { h: 'h1', voice_1: 'Puck', temperature: 1.1 });
  assert.deepEqual(mergeOverride(second, { voice_1: 'Kore' }, script, 'h1'), { h: 'h1', temperature: 1.1 });
  assert.equal(mergeOverride(first, { voice_1: 'Kore' }, script, 'h1'), undefined);
  // One held for another version of the row is not carried over.
  assert.deepEqual(mergeOverride({ h: 'h0', voice_1: 'Puck' }, { temperature: 1.1 }, script, 'h1'), {
    h: 'h1',
    temperature: 1.1,
  });
});

test('the worker applies an override to its version of the row only, and ignores one a job carries', () => {
  const applied = withOverride(data, { h: 'h1', voice_1: 'Puck' });
  assert.deepEqual(applied.request, { ...script, voice_1: 'Puck' });
  assert.deepEqual(applied.override, { voice_1: 'Puck' });
  assert.equal(applied.contentHash, 'h1', "the content hash stays the script's");
  assert.deepEqual(withOverride(data, { h: 'h0', voice_1: 'Puck' }), data);
  const planted = { ...data, override: { voice_1: 'Puck' } };
  assert.deepEqual(withOverride(planted, undefined), data);
});
