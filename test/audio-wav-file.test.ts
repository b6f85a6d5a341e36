import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AudioFormatError } from '../src/audio/audio-errors.js';
import { readWavInfo } from '../src/audio/wav-file.js';
import { createWavWriter } from '../src/audio/wav-writer.js';
import { pcmToWav, wavDurationS } from '../src/segmind/audio.js';

const dir = await mkdtemp(join(tmpdir(), 'audio-wav-file-'));
after(() => rm(dir, { recursive: true, force: true }));

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

function fmt(
  tag: number,
  channels: number,
  sampleRate: number,
  bits: number,
  extra = Buffer.alloc(0),
): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt16LE(tag, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  return chunk('fmt ', Buffer.concat([body, extra]));
}

function riff(chunks: Buffer[], riffSize?: number): Buffer {
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  const body = Buffer.concat(chunks);
  head.writeUInt32LE(riffSize ?? body.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, body]);
}

function dataChunk(pcm: Buffer, declared: number): Buffer {
  const header = Buffer.alloc(8);
  header.write('data', 0, 'latin1');
  header.writeUInt32LE(declared, 4);
  return Buffer.concat([header, pcm]);
}

async function save(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

const pcm = Buffer.alloc(4800 * 2, 7);

test('a canonical 44-byte WAV: data at 44, its frames counted', async () => {
  const info = await readWavInfo(await save('plain.wav', pcmToWav(pcm)));
  assert.deepEqual(info, {
    format: { sampleRate: 24_000, channels: 1, bitsPerSample: 16 },
    dataOffset: 44,
    dataBytes: pcm.length,
    frames: 4800,
  });
});

test('chunks other than fmt and data are skipped, odd-sized ones with their pad byte', async () => {
  const odd = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00abcde', 'latin1')); // 17-byte body + pad
  const bytes = riff([
    chunk('JUNK', Buffer.alloc(27)),
    fmt(1, 2, 48_000, 16),
    odd,
    dataChunk(pcm, pcm.length),
  ]);
  const info = await readWavInfo(await save('chunks.wav', bytes));
  assert.equal(info.dataOffset, bytes.length - pcm.length);
  assert.deepEqual(info.format, { sampleRate: 48_000, channels: 2, bitsPerSample: 16 });
  assert.equal(info.frames, pcm.length / 4);
});

test('WAVE_FORMAT_EXTENSIBLE with a PCM subformat is PCM; float is refused', async () => {
  const extensible = (subformat: number): Buffer => {
    const extra = Buffer.alloc(24);
    extra.writeUInt16LE(22, 0); // cbSize
    extra.writeUInt16LE(16, 2); // valid bits
    extra.writeUInt32LE(4, 4); // channel mask
    extra.writeUInt16LE(subformat, 8);
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(extra, 10);
    return fmt(0xfffe, 1, 24_000, 16, extra);
  };
  const info = await readWavInfo(await save('ext.wav', riff([extensible(1), dataChunk(pcm, pcm.length)])));
  assert.deepEqual(info.format, { sampleRate: 24_000, channels: 1, bitsPerSample: 16 });
  assert.equal(info.frames, 4800);
  const float = await save('float.wav', riff([extensible(3), dataChunk(pcm, pcm.length)]));
  await assert.rejects(readWavInfo(float), AudioFormatError);
  const tagFloat = await save('tag-float.wav', riff([fmt(3, 1, 24_000, 32), dataChunk(pcm, pcm.length)]));
  await assert.rejects(readWavInfo(tagFloat), /not integer PCM/);
});

test('a data size of 0 or 0xFFFFFFFF (streamed writers), or past the end, is taken from the file length', async () => {
  for (const declared of [0, 0xffffffff, pcm.length * 3]) {
    const info = await readWavInfo(
      await save(`streamed-${declared}.wav`, riff([fmt(1, 1, 24_000, 16), dataChunk(pcm, declared)], 0)),
    );
    assert.equal(info.dataBytes, pcm.length, `declared ${declared}`);
  }
  // A truncated file ending mid-frame keeps whole frames only.
  const cut = await save('cut.wav', riff([fmt(1, 2, 24_000, 16), dataChunk(pcm.subarray(0, 4003), 0)]));
  assert.equal((await readWavInfo(cut)).dataBytes, 4000);
});

test('not a WAV, no fmt, no data: clear errors naming the file', async () => {
  await assert.rejects(
    readWavInfo(await save('text.wav', Buffer.from('hello world, not audio'))),
    /text\.wav: not a RIFF\/WAVE/,
  );
  await assert.rejects(
    readWavInfo(await save('nofmt.wav', riff([dataChunk(pcm, pcm.length)]))),
    /data chunk before its fmt/,
  );
  await assert.rejects(
    readWavInfo(await save('nodata.wav', riff([fmt(1, 1, 24_000, 16)]))),
    /without a data chunk/,
  );
});

test('the writer streams, patches the header at the end, and lands atomically', async () => {
  const out = join(dir, 'written', 'out.wav');
  const format = { sampleRate: 24_000, channels: 1, bitsPerSample: 16 };
  const writer = await createWavWriter(out, format);
  await writer.write(pcm);
  await writer.writeSilence(70_000); // more than one block of zeros
  await writer.write(pcm);
  assert.equal(writer.frames, 4800 + 70_000 + 4800);
  const during = await readdir(join(dir, 'written'));
  assert.ok(!during.includes('out.wav'), 'nothing under the final name before finish');
  assert.equal(during.length, 1, 'only the temporary file');
  const done = await writer.finish();
  assert.equal(done.frames, 79_600);
  const bytes = await readFile(out);
  assert.equal(bytes.length, 44 + 79_600 * 2);
  assert.equal(bytes.readUInt32LE(4), bytes.length - 8);
  assert.equal(bytes.readUInt32LE(40), 79_600 * 2);
  assert.equal(wavDurationS(bytes), 79_600 / 24_000);
  assert.deepEqual(bytes.subarray(44, 44 + pcm.length), pcm);
  assert.ok(bytes.subarray(44 + pcm.length, 44 + pcm.length + 140_000).every((byte) => byte === 0));
  assert.deepEqual(await readdir(join(dir, 'written')), ['out.wav']);
  assert.equal((await readWavInfo(out)).frames, 79_600);
});

test('a discarded writer leaves nothing; half frames are refused', async () => {
  const sub = join(dir, 'discarded');
  const writer = await createWavWriter(join(sub, 'x.wav'), {
    sampleRate: 24_000,
    channels: 2,
    bitsPerSample: 16,
  });
  await assert.rejects(writer.write(Buffer.alloc(6)), /whole 4-byte frames/);
  await writer.write(Buffer.alloc(8));
  await writer.discard();
  assert.deepEqual(await readdir(sub), []);
});
