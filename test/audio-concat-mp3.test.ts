import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AudioFormatError } from '../src/audio/audio-errors.js';
import { concatMp3 } from '../src/audio/concat-mp3.js';
import { id3v2LengthBytes, mp3DurationS } from '../src/segmind/audio.js';
import { MP3_FRAME_BYTES, MP3_SAMPLES_PER_FRAME, mp3Stream } from '../src/simulator/mp3.js';

const dir = await mkdtemp(join(tmpdir(), 'audio-concat-mp3-'));
after(() => rm(dir, { recursive: true, force: true }));

const MPEG1_L3_44K = Buffer.from([0xff, 0xfb, 0x90, 0x00]); // 128 kbit/s, 417-byte frames

function id3v1(title: string): Buffer {
  const tag = Buffer.alloc(128);
  tag.write('TAG', 0, 'latin1');
  tag.write(title, 3, 'latin1');
  return tag;
}

/** The simulator's frames, with a Xing frame first (as encoders write one) and an ID3v1 tag last. */
function withXingAndId3v1(frames: number, title: string): Buffer {
  const stream = mp3Stream(frames * MP3_SAMPLES_PER_FRAME);
  const tagBytes = id3v2LengthBytes(stream);
  const xing = Buffer.from(stream.subarray(tagBytes, tagBytes + MP3_FRAME_BYTES));
  xing.write('Xing', 4 + 9, 'latin1');
  return Buffer.concat([stream.subarray(0, tagBytes), xing, stream.subarray(tagBytes), id3v1(title)]);
}

async function save(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

test('frames concatenated: the first ID3v2 leads, its ID3v1 ends, other tags and Xing frames gone', async () => {
  const first = withXingAndId3v1(10, 'first');
  const parts = [
    await save('p1.mp3', first),
    await save('p2.mp3', withXingAndId3v1(7, 'second')),
    await save('p3.mp3', mp3Stream(3 * MP3_SAMPLES_PER_FRAME)),
  ];
  const out = join(dir, 'joined', 'row.mp3');
  const joined = await concatMp3(parts, out);
  assert.equal(joined.frames, 20);
  assert.equal(joined.samples, 20 * MP3_SAMPLES_PER_FRAME);
  assert.equal(joined.sampleRate, 24_000);
  const bytes = await readFile(out);
  const tagBytes = id3v2LengthBytes(first);
  assert.deepEqual(bytes.subarray(0, tagBytes), first.subarray(0, tagBytes));
  assert.equal(bytes.length, tagBytes + 20 * MP3_FRAME_BYTES + 128);
  assert.equal(bytes.toString('latin1', bytes.length - 128, bytes.length - 123), 'TAGfi');
  assert.equal(bytes.indexOf('ID3', 1), -1, 'no second ID3v2 tag');
  assert.equal(bytes.indexOf('Xing'), -1, 'no Xing frame');
  assert.equal(bytes.indexOf('TAG'), bytes.length - 128, 'one ID3v1 tag, at the end');
  assert.equal(mp3DurationS(bytes), (20 * MP3_SAMPLES_PER_FRAME) / 24_000);
  assert.deepEqual(await readdir(join(dir, 'joined')), ['row.mp3']);
});

test('parts of another sample rate, or no frames at all, are refused and nothing is written', async () => {
  const mono24 = await save('a.mp3', mp3Stream(5 * MP3_SAMPLES_PER_FRAME));
  const stereo44 = Buffer.alloc(417 * 3);
  for (let i = 0; i < 3; i += 1) MPEG1_L3_44K.copy(stereo44, i * 417);
  const other = await save('b.mp3', stereo44);
  const sub = join(dir, 'refused');
  await assert.rejects(
    concatMp3([mono24, other], join(sub, 'x.mp3')),
    (error: unknown) => error instanceof AudioFormatError && error.file === other,
  );
  assert.deepEqual(await readdir(sub), []);
  const empty = await save('empty.mp3', Buffer.from('not an mp3 at all'));
  await assert.rejects(concatMp3([mono24, empty], join(sub, 'y.mp3')), /MP3 without a frame/);
  assert.deepEqual(await readdir(sub), []);
  await assert.rejects(concatMp3([], join(sub, 'z.mp3')), /at least one MP3/);
});
