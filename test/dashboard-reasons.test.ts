import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByReasonLabel, reasonLabel } from '../src/dashboard/reason-label.js';

test('failures that differ only by request id or seconds waited read as one group, most frequent first', () => {
  const groups = groupByReasonLabel([
    { reason: 'Segmind status: inference FAILED (request r-1): blocked', rows: 1 },
    { reason: 'HTTP 422: Content blocked by safety filter', rows: 1 },
    { reason: 'Segmind status: inference FAILED (request r-2): blocked', rows: 2 },
    { reason: 'no result 612 s after submit (request a)', rows: 1 },
    { reason: 'no result 640 s after submit (request b)', rows: 1 },
  ]);
  assert.deepEqual(groups, [
    { reason: 'Segmind status: inference FAILED (request …): blocked', rows: 3 },
    { reason: 'no result … s after submit (request …)', rows: 2 },
    { reason: 'HTTP 422: Content blocked by safety filter', rows: 1 },
  ]);
});

test('a reason label is one line of at most 160 characters', () => {
  const label = reasonLabel(`protocol: body starts "${'x'.repeat(300)}"\nsecond line`);
  assert.equal(label.length, 160);
  assert.ok(label.endsWith('…'));
  assert.doesNotMatch(label, /\n/);
});
