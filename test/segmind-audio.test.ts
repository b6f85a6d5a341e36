import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decodeOutput } from '../src/segmind/audio-output.js';
import { detectAudioFormat, pcmToWav, toAudio } from '../src/segmind/audio.js';
import { DownloadError } from '../src/segmind/errors.js';

const MPEG2_L3_24K = Buffer.from([0xff, 0xf3, 0x44, 0xc4]); // 32 kbit/s, 96-byte frames, 576 samples
const MPEG1_L3_44K = Buffer.from([0xff, 0xfb, 0x90, 0x00]); // 128 kbit/s, 417-byte frames, 1152 samples

function frames(header: Buffer, lengthBytes: number, count: number): Buffer {
  const stream = Buffer.alloc(lengthBytes * count);
  for (let i = 0; i < count; i += 1) header.copy(stream, i * lengthBytes);
  return stream;
}

function id3(bodyBytes: number): Buffer {
  const tag = Buffer.alloc(10 + bodyBytes);
  tag.write('ID3', 0, 'latin1');
  tag[3] = 3;
  tag[8] = (bodyBytes >> 7) & 0x7f;
  tag[9] = bodyBytes & 0x7f;
  return tag;
}

function sinePcm(samples: number): Buffer {
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 7)), i * 2);
  return pcm;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

test('WAV is detected from RIFF/WAVE and measured from its data chunk', () => {
  const wav = pcmToWav(sinePcm(36_000));
  assert.equal(detectAudioFormat(wav), 'wav');
  const audio = toAudio(wav);
  assert.equal(audio.format, 'wav');
  assert.equal(audio.extension, 'wav');
  assert.equal(audio.durationS, 1.5);
  assert.equal(audio.bytes, wav);
  assert.equal(audio.sha256, sha256(wav));
  assert.equal(audio.byteLength, wav.length);
});

test('WAV with an extra chunk before data still measures right', () => {
  const plain = pcmToWav(sinePcm(24_000));
  const list = Buffer.alloc(8 + 6);
  list.write('LIST', 0, 'latin1');
  list.writeUInt32LE(6, 4);
  const wav = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
  assert.equal(toAudio(wav).durationS, 1);
});

test('MP3 with an ID3v2 tag is detected and measured by its frames', () => {
  const mp3 = Buffer.concat([id3(300), frames(MPEG2_L3_24K, 96, 125)]);
  assert.equal(detectAudioFormat(mp3), 'mp3');
  const audio = toAudio(mp3);
  assert.equal(audio.format, 'mp3');
  assert.equal(audio.extension, 'mp3');
  assert.equal(audio.durationS, (125 * 576) / 24_000);
  assert.equal(audio.sha256, sha256(mp3));
});

test('MP3 starting with a bare frame sync (MPEG-1 Layer III) is detected and measured', () => {
  const mp3 = frames(MPEG1_L3_44K, 417, 10);
  assert.equal(detectAudioFormat(mp3), 'mp3');
  assert.ok(Math.abs(toAudio(mp3).durationS - (10 * 1152) / 44_100) < 1e-9);
});

test('bytes that only look like one frame sync are PCM, not MP3', () => {
  const pcm = sinePcm(2400);
  MPEG1_L3_44K.copy(pcm, 0);
  assert.equal(detectAudioFormat(pcm), 'pcm');
});

test('raw PCM is wrapped in a correct 44-byte WAV header', () => {
  const pcm = sinePcm(12_000);
  assert.equal(detectAudioFormat(pcm), 'pcm');
  const audio = toAudio(pcm);
  assert.equal(audio.format, 'wav');
  assert.equal(audio.byteLength, 44 + pcm.length);
  const header = audio.bytes;
  assert.equal(header.toString('latin1', 0, 4), 'RIFF');
  assert.equal(header.readUInt32LE(4), 36 + pcm.length);
  assert.equal(header.toString('latin1', 8, 16), 'WAVEfmt ');
  assert.equal(header.readUInt32LE(16), 16);
  assert.equal(header.readUInt16LE(20), 1);
  assert.equal(header.readUInt16LE(22), 1);
  assert.equal(header.readUInt32LE(24), 24_000);
  assert.equal(header.readUInt32LE(28), 48_000);
  assert.equal(header.readUInt16LE(32), 2);
  assert.equal(header.readUInt16LE(34), 16);
  assert.equal(header.toString('latin1', 36, 40), 'data');
  assert.equal(header.readUInt32LE(40), pcm.length);
  assert.deepEqual(audio.bytes.subarray(44), pcm);
  assert.equal(audio.durationS, 0.5);
  assert.equal(audio.sha256, sha256(audio.bytes));
});

test('undecodable audio is a non-transient DownloadError', () => {
  const refused = (error: unknown) => error instanceof DownloadError && !error.transient;
  assert.throws(() => toAudio(Buffer.alloc(0)), refused);
  assert.throws(() => toAudio(Buffer.alloc(3, 1)), refused);
  assert.throws(() => toAudio(Buffer.concat([id3(20), Buffer.alloc(50)])), refused);
  assert.throws(() => toAudio(pcmToWav(Buffer.alloc(0)).subarray(0, 36)), refused);
});

test('output shapes: URL string, {url}, data URI, bare base64', () => {
  const wav = pcmToWav(sinePcm(100));
  const base64 = wav.toString('base64');
  assert.deepEqual(decodeOutput('https://cdn.example/a.wav', 1e6), {
    kind: 'url',
    url: 'https://cdn.example/a.wav',
  });
  assert.deepEqual(decodeOutput({ url: 'https://cdn.example/a', extra: 1 }, 1e6), {
    kind: 'url',
    url: 'https://cdn.example/a',
  });
  assert.deepEqual(decodeOutput(['https://cdn.example/b'], 1e6), {
    kind: 'url',
    url: 'https://cdn.example/b',
  });
  assert.deepEqual(decodeOutput(`data:audio/wav;base64,${base64}`, 1e6), { kind: 'bytes', bytes: wav });
  assert.deepEqual(decodeOutput(`  ${base64}\n`, 1e6), { kind: 'bytes', bytes: wav });
  assert.deepEqual(decodeOutput({ url: `data:audio/wav;base64,${base64}` }, 1e6), {
    kind: 'bytes',
    bytes: wav,
  });
  assert.deepEqual(decodeOutput(wav.toString('base64url'), 1e6), { kind: 'bytes', bytes: wav });
});

test('bad output shapes and oversized inline audio are refused', () => {
  const refused = (error: unknown) => error instanceof DownloadError && !error.transient;
  for (const output of [null, 42, true, {}, [], { name: 'x' }, 'not base64 at all!', 'abc']) {
    assert.throws(() => decodeOutput(output, 1e6), refused, JSON.stringify(output));
  }
  const big = Buffer.alloc(4096).toString('base64');
  assert.throws(
    () => decodeOutput(big, 1000),
    (error: unknown) => refused(error) && /cap/.test(String(error)),
  );
  assert.throws(() => decodeOutput(`data:audio/wav;base64,${big}`, 1000), refused);
});
