// The audio file writer: streamed chunk by chunk, the same figures as toAudio, atomic, no temporary left.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeAudioFileWriter, type SavedAudioFile } from '../src/segmind/audio-file.js';
import { pcmToWav, toAudio } from '../src/segmind/audio.js';
import { DownloadError } from '../src/segmind/errors.js';
import { servedAudio } from '../src/simulator/speech-audio.js';

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-');
const MPEG2_L3_24K = Buffer.from([0xff, 0xf3, 0x44, 0xc4]); // 96-byte frames, 576 samples
const MPEG1_L3_44K = Buffer.from([0xff, 0xfb, 0x90, 0x00]); // 417-byte frames, 1152 samples
const OPTIONS = { staleTempMs: 30_000 };
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tts-audio-file-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

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

function chunk(label: string, size: number, extraBytes: number): Buffer {
  const bytes = Buffer.alloc(8 + size + extraBytes);
  bytes.write(label, 0, 'latin1');
  bytes.writeUInt32LE(size, 4);
  return bytes;
}

const plainWav = pcmToWav(sinePcm(36_000));
const xing = frames(MPEG1_L3_44K, 417, 12);
xing.write('Xing', 4 + 32, 'latin1');
const FIXTURES: readonly [string, Buffer][] = [
  ['wav', plainWav],
  [
    'wav, odd LIST chunk before data',
    Buffer.concat([plainWav.subarray(0, 36), chunk('LIST', 5, 1), plainWav.subarray(36)]),
  ],
  [
    'wav, data chunk longer than the file',
    Buffer.concat([plainWav.subarray(0, 40), Buffer.from([0xff, 0xff, 0xff, 0x00]), sinePcm(500)]),
  ],
  ['mp3 with ID3v2', Buffer.concat([id3(300), frames(MPEG2_L3_24K, 96, 125)])],
  ['mp3 with a Xing frame', xing],
  ['mp3 from the simulator', servedAudio('The quick brown fox jumps over the lazy dog.', 'mp3')],
  ['pcm', sinePcm(12_000)],
  ['short pcm', sinePcm(100)],
  ['pcm starting like one frame sync', Buffer.concat([MPEG1_L3_44K, sinePcm(2400).subarray(4)])],
];

async function write(
  name: string,
  bytes: Buffer,
  size: number,
  declared: number | undefined,
): Promise<SavedAudioFile> {
  const writer = makeAudioFileWriter({ dir: root, name }, OPTIONS);
  writer.begin(declared);
  try {
    for (let at = 0; at < bytes.length; at += size) await writer.write(bytes.subarray(at, at + size));
    return await writer.finish();
  } catch (error) {
    await writer.discard();
    throw error;
  }
}

async function temporaries(dir = root): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
}

for (const [label, bytes] of FIXTURES) {
  test(`${label}: in any chunking, the file and its figures equal toAudio's`, async () => {
    const expected = toAudio(bytes);
    for (const size of [bytes.length, 4099, 333]) {
      for (const declared of [bytes.length, undefined, bytes.length + 2]) {
        const name = `row-${size}`;
        const saved = await write(name, bytes, size, declared);
        assert.deepEqual(saved, {
          file: `${name}.${expected.extension}`,
          extension: expected.extension,
          bytes: expected.byteLength,
          durationS: expected.durationS,
          sha256: expected.sha256,
        });
        assert.deepEqual(await readFile(join(root, saved.file)), expected.bytes);
      }
    }
    assert.deepEqual(await temporaries(), []);
  });
}

test('undecodable audio fails as toAudio does, leaving no file', async () => {
  const dir = await mkdtemp(join(root, 'bad-'));
  const cases: readonly Buffer[] = [
    Buffer.alloc(0),
    sinePcm(20_000).subarray(0, 39_999),
    Buffer.concat([id3(20), Buffer.alloc(50)]),
    pcmToWav(Buffer.alloc(0)).subarray(0, 36),
  ];
  for (const bytes of cases) {
    assert.throws(() => toAudio(bytes), DownloadError);
    const writer = makeAudioFileWriter({ dir, name: 'bad' }, OPTIONS);
    writer.begin(undefined);
    const error = await (async () => {
      for (let at = 0; at < bytes.length; at += 1000) await writer.write(bytes.subarray(at, at + 1000));
      return writer.finish();
    })().catch((caught: unknown) => caught);
    await writer.discard();
    assert.ok(error instanceof DownloadError && !error.transient, String(error));
    assert.match(error.message, /^undecodable audio: /);
  }
  assert.deepEqual(await readdir(dir), []);
});

test('two writers of the same row at once each use their own temporary file; both land whole', async () => {
  const dir = await mkdtemp(join(root, 'race-'));
  const bytes = pcmToWav(sinePcm(48_000));
  const writers = [0, 1].map(() => makeAudioFileWriter({ dir, name: 'row-7' }, OPTIONS));
  for (const writer of writers) writer.begin(bytes.length);
  for (let at = 0; at < bytes.length; at += 8192) {
    for (const writer of writers) await writer.write(bytes.subarray(at, at + 8192));
  }
  const open = await temporaries(dir);
  assert.equal(open.length, 2);
  for (const name of open)
    assert.match(name, new RegExp(`^\\.row-7\\.wav\\.${HOST}\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
  const saved = await Promise.all(writers.map((writer) => writer.finish()));
  assert.deepEqual(saved[0], saved[1]);
  assert.deepEqual(await readdir(dir), ['row-7.wav']);
  assert.deepEqual(await readFile(join(dir, 'row-7.wav')), bytes);
});

test("crashed writers' temporaries of the row are swept; live ones and other rows' are not", async () => {
  const dir = await mkdtemp(join(root, 'sweep-'));
  const names = {
    deadHere: `.row-1.wav.${HOST}.999999999.0a0a0a0a0a0a.tmp`,
    deadHereMp3: `.row-1.mp3.${HOST}.999999999.0b0b0b0b0b0b.tmp`,
    liveHere: `.row-1.wav.${HOST}.${process.pid}.0c0c0c0c0c0c.tmp`,
    freshElsewhere: '.row-1.wav.other-host.42.0d0d0d0d0d0d.tmp',
    staleElsewhere: '.row-1.wav.other-host.43.0e0e0e0e0e0e.tmp',
    otherRow: `.row-10.wav.${HOST}.999999999.0f0f0f0f0f0f.tmp`,
  };
  for (const name of Object.values(names)) await writeFile(join(dir, name), 'half');
  const longAgo = new Date(Date.now() - 120_000);
  await utimes(join(dir, names.staleElsewhere), longAgo, longAgo);
  const writer = makeAudioFileWriter({ dir, name: 'row-1' }, OPTIONS);
  writer.begin(undefined);
  await writer.write(plainWav);
  await writer.finish();
  assert.deepEqual(
    (await readdir(dir)).sort(),
    [names.freshElsewhere, names.liveHere, names.otherRow, 'row-1.wav'].sort(),
  );
});

test('a name that is not a plain file name is refused before anything is written', () => {
  for (const name of ['../escape', 'a/b', '', '.hidden']) {
    assert.throws(
      () => makeAudioFileWriter({ dir: root, name }, OPTIONS),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.startsWith('Expected `name` to be a row id') &&
        error.message.endsWith(`got \`${name}\``),
      name,
    );
  }
});
