import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AudioFormatError, NeedsFfmpeg } from '../src/audio/audio-errors.js';
import { int16Samples } from '../src/audio/clip-pcm.js';
import { joinClips } from '../src/audio/join-clips.js';
import { planTrim } from '../src/audio/silence.js';
import { readWavInfo } from '../src/audio/wav-file.js';
import { pcmToWav } from '../src/segmind/audio.js';
import { mp3Stream } from '../src/simulator/mp3.js';

const dir = await mkdtemp(join(tmpdir(), 'audio-join-clips-'));
after(() => rm(dir, { recursive: true, force: true }));

const RATE = 24_000;
const frames = (ms: number): number => (ms * RATE) / 1000;

/** Silence, a tone of `value`-ish amplitude (a square wave: every sample loud), silence. */
function tonePcm(beforeMs: number, toneMs: number, afterMs: number, value: number): Buffer {
  const pcm = Buffer.alloc(frames(beforeMs + toneMs + afterMs) * 2);
  for (let i = frames(beforeMs); i < frames(beforeMs + toneMs); i += 1) {
    pcm.writeInt16LE(i % 40 < 20 ? value : -value, i * 2);
  }
  return pcm;
}

async function save(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function outputSamples(file: string): Promise<Int16Array> {
  const info = await readWavInfo(file);
  const bytes = await readFile(file);
  return int16Samples(bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytes));
}

test('clips trimmed to the pad, gaps of digital silence between, layout exact', async () => {
  const a = await save('a.wav', pcmToWav(tonePcm(500, 1000, 300, 5000))); // more silence than the pad
  const b = await save('b.wav', pcmToWav(tonePcm(40, 600, 10, 7000))); // less: zeros are added
  const c = await save('c.wav', pcmToWav(tonePcm(200, 400, 200, 9000)));
  const out = join(dir, 'joined', 'chapter.wav');
  const layout = await joinClips({
    clips: [
      { id: 'a', file: a },
      { id: 'b', file: b },
      { id: 'c', file: c },
    ],
    out,
    gapsMs: [700, 250],
    trim: true,
  });
  const pad = frames(120);
  assert.deepEqual(
    layout.clips.map(({ id, samples, trimmed }) => ({ id, samples, trimmed })),
    [
      { id: 'a', samples: frames(1000) + 2 * pad, trimmed: true },
      { id: 'b', samples: frames(600) + 2 * pad, trimmed: true },
      { id: 'c', samples: frames(400) + 2 * pad, trimmed: true },
    ],
  );
  const [ca, cb, cc] = layout.clips;
  assert.ok(ca && cb && cc);
  assert.equal(ca.startSample, 0);
  assert.equal(cb.startSample, ca.samples + frames(700));
  assert.equal(cc.startSample, cb.startSample + cb.samples + frames(250));
  assert.equal(layout.totalSamples, cc.startSample + cc.samples);
  assert.equal(layout.sampleRate, RATE);
  assert.equal(layout.channels, 1);

  const samples = await outputSamples(out);
  assert.equal(samples.length, layout.totalSamples);
  // Each clip's tone starts exactly one pad after its start and ends one pad before its end.
  for (const [clip, value] of [
    [ca, 5000],
    [cb, 7000],
    [cc, 9000],
  ] as const) {
    const start = clip.startSample;
    assert.ok(
      samples.subarray(start, start + pad).every((s) => s === 0),
      `${clip.id}: lead pad silent`,
    );
    assert.equal(Math.abs(samples[start + pad] ?? 0), value, `${clip.id}: tone at the pad`);
    const end = start + clip.samples;
    assert.equal(Math.abs(samples[end - pad - 1] ?? 0), value, `${clip.id}: tone up to the tail pad`);
    assert.ok(
      samples.subarray(end - pad, end).every((s) => s === 0),
      `${clip.id}: tail pad silent`,
    );
  }
  assert.ok(
    samples.subarray(ca.samples, cb.startSample).every((s) => s === 0),
    'gap is digital silence',
  );
  assert.deepEqual(await readdir(join(dir, 'joined')), ['chapter.wav']);
});

test('untrimmed: clips copied sample for sample; one gap value for every gap', async () => {
  const one = tonePcm(100, 200, 100, 3000);
  const two = tonePcm(0, 300, 0, 4000);
  const out = join(dir, 'untrimmed.wav');
  const layout = await joinClips({
    clips: [
      { id: '1', file: await save('one.wav', pcmToWav(one)) },
      { id: '2', file: await save('two.wav', pcmToWav(two)) },
      { id: '3', file: await save('three.wav', pcmToWav(one)) },
    ],
    out,
    gapsMs: 50,
    trim: false,
  });
  const gap = frames(50);
  assert.deepEqual(
    layout.clips.map(({ startSample, samples }) => [startSample, samples]),
    [
      [0, frames(400)],
      [frames(400) + gap, frames(300)],
      [frames(700) + 2 * gap, frames(400)],
    ],
  );
  const data = (await readFile(out)).subarray(44);
  const silence = Buffer.alloc(gap * 2);
  assert.deepEqual(data, Buffer.concat([one, silence, two, silence, one]));
});

test('a clip with no speech is kept whole; a single clip has no gap', async () => {
  const quiet = await save('quiet.wav', pcmToWav(Buffer.alloc(frames(300) * 2)));
  const layout = await joinClips({
    clips: [{ id: 'q', file: quiet }],
    out: join(dir, 'q.wav'),
    gapsMs: [],
    trim: true,
  });
  assert.deepEqual(layout.clips, [{ id: 'q', startSample: 0, samples: frames(300), trimmed: false }]);
  assert.equal(layout.totalSamples, frames(300));
});

test('clips of different formats are refused before anything is written', async () => {
  const mono = await save('mono.wav', pcmToWav(tonePcm(0, 100, 0, 1000)));
  const rate = await save('rate16k.wav', pcmToWav(tonePcm(0, 100, 0, 1000), 16_000));
  const stereo = await save('stereo.wav', pcmToWav(tonePcm(0, 100, 0, 1000), RATE, 2));
  for (const other of [rate, stereo]) {
    const out = join(dir, 'mismatch', 'x.wav');
    await assert.rejects(
      joinClips({
        clips: [
          { id: 'm', file: mono },
          { id: 'o', file: other },
        ],
        out,
        gapsMs: 0,
        trim: true,
      }),
      (error: unknown) =>
        error instanceof AudioFormatError &&
        error.file === other &&
        /must share one format/.test(error.message),
    );
  }
  await assert.rejects(readdir(join(dir, 'mismatch')), { code: 'ENOENT' });
  await assert.rejects(
    joinClips({ clips: [{ id: 'm', file: mono }], out: join(dir, 'none.wav'), gapsMs: [100], trim: true }),
    /hold 0 gaps/,
  );
  await assert.rejects(
    joinClips({ clips: [], out: join(dir, 'none.wav'), gapsMs: [], trim: true }),
    /at least one clip/,
  );
  await assert.rejects(
    joinClips({
      clips: [{ id: 'm', file: mono }],
      out: join(dir, 'mismatch', 'p.wav'),
      gapsMs: [],
      trim: { padMs: -5 },
    }),
    /`padMs`/,
  );
  await assert.rejects(readdir(join(dir, 'mismatch')), { code: 'ENOENT' });
});

test('an MP3 clip without a decoder: NeedsFfmpeg, nothing written', async () => {
  const wav = await save('w.wav', pcmToWav(tonePcm(0, 100, 0, 1000)));
  const mp3 = await save('m.mp3', mp3Stream(frames(500)));
  const out = join(dir, 'needs', 'x.wav');
  await assert.rejects(
    joinClips({
      clips: [
        { id: 'w', file: wav },
        { id: 'm', file: mp3 },
      ],
      out,
      gapsMs: [10],
      trim: true,
    }),
    (error: unknown) => error instanceof NeedsFfmpeg && error.file === mp3,
  );
  await assert.rejects(readdir(join(dir, 'needs')), { code: 'ENOENT' });
});

test('an MP3 clip goes through the injected decoder as 24 kHz mono PCM, in chunks', async () => {
  const wavPcm = tonePcm(300, 200, 300, 2000);
  const decodedPcm = tonePcm(150, 500, 150, 6000);
  const mp3 = await save('d.mp3', mp3Stream(frames(800)));
  const decoded: string[] = [];
  async function* decode(file: string): AsyncIterable<Buffer> {
    decoded.push(file);
    for (let at = 0; at < decodedPcm.length; at += 4097) yield decodedPcm.subarray(at, at + 4097); // odd splits
    await Promise.resolve();
  }
  const out = join(dir, 'decoded.wav');
  const layout = await joinClips(
    {
      clips: [
        { id: 'w', file: await save('dw.wav', pcmToWav(wavPcm)) },
        { id: 'm', file: mp3 },
      ],
      out,
      gapsMs: [100],
      trim: true,
    },
    { decode },
  );
  assert.deepEqual(decoded, [mp3]);
  const expectedMp3 = planTrim(int16Samples(decodedPcm), RATE).frames;
  assert.equal(layout.clips[1]?.samples, expectedMp3);
  assert.equal(layout.totalSamples, planTrim(int16Samples(wavPcm), RATE).frames + frames(100) + expectedMp3);
  assert.equal((await readWavInfo(out)).frames, layout.totalSamples);
});

test('a failing clip mid-join leaves no output and no temporary file', async () => {
  const good = await save('good.wav', pcmToWav(tonePcm(0, 100, 0, 1000)));
  const mp3 = await save('bad.mp3', mp3Stream(frames(100)));
  async function* decode(): AsyncIterable<Buffer> {
    yield Buffer.alloc(10);
    await Promise.resolve();
    throw new Error('decoder died');
  }
  const sub = join(dir, 'failing');
  await assert.rejects(
    joinClips(
      {
        clips: [
          { id: 'g', file: good },
          { id: 'b', file: mp3 },
        ],
        out: join(sub, 'x.wav'),
        gapsMs: [0],
        trim: true,
      },
      { decode },
    ),
    /decoder died/,
  );
  assert.deepEqual(await readdir(sub), []);
});

test('an abort between clips stops the join and leaves nothing behind', async () => {
  const files = [];
  for (let i = 0; i < 3; i += 1) files.push(await save(`ab-${i}.wav`, pcmToWav(tonePcm(50, 100, 50, 2000))));
  const controller = new AbortController();
  let decoded = 0;
  async function* decode(): AsyncIterable<Buffer> {
    decoded += 1;
    controller.abort(new Error('stop now'));
    yield Buffer.alloc(2400);
    await Promise.resolve();
  }
  const mp3 = await save('ab.mp3', mp3Stream(frames(100)));
  const sub = join(dir, 'aborted');
  const clips = [files[0], mp3, files[1], files[2]].map((file, i) => ({ id: String(i), file: file ?? '' }));
  await assert.rejects(
    joinClips(
      { clips, out: join(sub, 'x.wav'), gapsMs: 10, trim: true, signal: controller.signal },
      { decode },
    ),
    /stop now/,
  );
  assert.equal(decoded, 1);
  assert.deepEqual(await readdir(sub), []);
});
