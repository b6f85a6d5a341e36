import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captionCues, formatSrt, formatVtt, type Cue } from '../src/audio/captions.js';
import type { JoinLayout } from '../src/audio/join-clips.js';

const layout: JoinLayout = {
  sampleRate: 24_000,
  channels: 1,
  totalSamples: 24_000 * 20,
  clips: [
    { id: 'c1', startSample: 0, samples: 24_000 * 6, trimmed: true },
    { id: 'c2', startSample: 24_000 * 7, samples: 24_000 * 9 + 7, trimmed: true },
    { id: 'c3', startSample: 24_000 * 17, samples: 24_000 * 3, trimmed: false },
  ],
};
const texts = new Map([
  ['c1', 'Mr. Smith went to Washington. He stayed a week!  Then   he left.'],
  ['c2', 'It rained. It rained for a very long time, and nobody in the town minded at all.'],
  ['c3', '第一章。你好世界。'],
]);

function assertWellFormed(cues: readonly Cue[], endMs: number): void {
  let previousEnd = 0;
  for (const cue of cues) {
    assert.ok(cue.startMs >= previousEnd, `ordered, not overlapping: ${JSON.stringify(cue)}`);
    assert.ok(cue.endMs > cue.startMs, `not empty: ${JSON.stringify(cue)}`);
    assert.ok(cue.endMs <= endMs, `inside the audio: ${JSON.stringify(cue)}`);
    previousEnd = cue.endMs;
  }
}

test('one cue per sentence (abbreviations kept whole), clip boundaries exact', () => {
  const cues = captionCues(layout, texts);
  assert.deepEqual(
    cues.map((cue) => cue.text),
    [
      'Mr. Smith went to Washington.',
      'He stayed a week!',
      'Then he left.',
      'It rained.',
      'It rained for a very long time, and nobody in the town minded at all.',
      '第一章。',
      '你好世界。',
    ],
  );
  assertWellFormed(cues, 20_000);
  // Each clip's first cue starts at its first sample and its last cue ends at its end.
  assert.equal(cues[0]?.startMs, 0);
  assert.equal(cues[2]?.endMs, 6000);
  assert.equal(cues[3]?.startMs, 7000);
  assert.equal(cues[4]?.endMs, Math.floor(((24_000 * 16 + 7) * 1000) / 24_000));
  assert.equal(cues[5]?.startMs, 17_000);
  assert.equal(cues[6]?.endMs, 20_000);
  // Consecutive sentences of one clip touch: no hole inside a clip.
  assert.equal(cues[0]?.endMs, cues[1]?.startMs);
  assert.equal(cues[3]?.endMs, cues[4]?.startMs);
});

test('inside a clip, time is shared by speech weight: a longer sentence a longer cue; CJK weighs 3', () => {
  const cues = captionCues(layout, texts);
  const [rained, long] = [cues[3], cues[4]];
  assert.ok(rained && long);
  const share = (rained.endMs - rained.startMs) / (long.endMs - rained.startMs);
  // 'It rained. ' (with its space, collapsed) against the whole clip's weight.
  assert.ok(Math.abs(share - 10 / (10 + 69)) < 0.01, `share ${share}`);
  // '第一章。' and '你好世界。' weigh 4 × 3 and 5 × 3 (CJK punctuation counted as CJK).
  const [cjk1, cjk2] = [cues[5], cues[6]];
  assert.ok(cjk1 && cjk2);
  assert.ok(Math.abs((cjk1.endMs - cjk1.startMs) / 3000 - 12 / 27) < 0.001);
});

test('an offset lays a chapter on the book timeline; a clip without text is an error', () => {
  const shifted = captionCues(layout, texts, { offsetSamples: 24_000 * 3600 });
  const plain = captionCues(layout, texts);
  assert.deepEqual(
    shifted,
    plain.map((cue) => ({ ...cue, startMs: cue.startMs + 3_600_000, endMs: cue.endMs + 3_600_000 })),
  );
  assert.throws(() => captionCues(layout, new Map([['c1', 'x']])), /text for clip `c2`/);
});

test('SRT: numbered from 1, 00:00:01,234 timestamps, a blank line between cues', () => {
  const cues: Cue[] = [
    { startMs: 1234, endMs: 2000, text: 'One.' },
    { startMs: 3_723_004, endMs: 3_725_999, text: 'Two -->\n\nthree.' },
  ];
  assert.equal(
    formatSrt(cues),
    '1\n00:00:01,234 --> 00:00:02,000\nOne.\n\n2\n01:02:03,004 --> 01:02:05,999\nTwo -> three.\n',
  );
});

test('WebVTT: header, 00:00:01.234 timestamps, text escaped', () => {
  const cues: Cue[] = [
    { startMs: 0, endMs: 999, text: 'A & B <i>' },
    { startMs: 360_000_000, endMs: 360_000_001, text: 'Late.' },
  ];
  assert.equal(
    formatVtt(cues),
    'WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.999\nA &amp; B &lt;i&gt;\n\n2\n100:00:00.000 --> 100:00:00.001\nLate.\n',
  );
  assert.equal(formatVtt([]), 'WEBVTT\n');
});
