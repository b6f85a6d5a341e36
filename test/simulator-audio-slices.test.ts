import assert from 'node:assert/strict';
import { test } from 'node:test';
import { speechPcm, speechPcmAsync } from '../src/simulator/speech-audio.js';

test('audio rendered in slices (the event loop let through between them) is byte-identical to the whole', async () => {
  for (const text of [
    'x',
    'Hello there, how are you today?',
    'Sibilants: sss zzz, chairs and fish! '.repeat(20),
  ]) {
    for (const slice of [1, 777, 12_000, 10_000_000]) {
      assert.ok(
        (await speechPcmAsync(text, slice)).equals(speechPcm(text)),
        `${text.length} chars, slices of ${slice}`,
      );
    }
  }
});
