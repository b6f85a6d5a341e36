import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeToPcm } from '../src/audio/ffmpeg-decode.js';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { FfmpegFailed } from '../src/audio/ffmpeg-process.js';
import { encodeM4b } from '../src/audio/m4b-encode.js';
import { readBackM4b } from '../src/audio/m4b-read-back.js';
import { TINY_PNG, writeToneWav } from './helpers/audio-wavs.js';

const run = promisify(execFile);
const RATE = 24_000;
const dir = await mkdtemp(join(tmpdir(), 'audio-m4b-'));
let ffmpeg = '';

type Probe = {
  chapters: { start_time: string; end_time: string; tags?: { title?: string } }[];
  streams: {
    codec_type: string;
    duration_ts?: number;
    time_base: string;
    disposition?: { attached_pic?: number };
  }[];
  format: { tags?: Record<string, string> };
};

/** ffprobe's own view of a file: an independent reader of what encodeM4b checked itself. */
async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_chapters',
    '-show_streams',
    '-show_format',
    '-of',
    'json',
    file,
  ]);
  return JSON.parse(stdout) as Probe;
}

before(async () => {
  const found = await locateFfmpeg({ configuredPath: undefined, searchPath: process.env['PATH'] });
  assert.ok(found, 'these tests need ffmpeg (CI installs Debian’s)');
  ffmpeg = found.path;
});
after(() => rm(dir, { recursive: true, force: true }));

describe('encodeM4b', () => {
  it('marks each chapter at its exact first sample: read back by ffmpeg and ffprobe within 1 ms, duration the sum', async () => {
    const lengths = [RATE * 2 + 37, RATE + 1001, RATE * 3 - 5];
    const titles = ['One: a = b; #1', 'Two \\ back\nslash', 'Три'];
    const chapters = await Promise.all(
      lengths.map(async (samples, index) => ({
        title: titles[index]!,
        file: await writeToneWav(join(dir, `ch${index}.wav`), samples, { hz: 300 + 100 * index }),
      })),
    );
    const cover = join(dir, 'cover.png');
    await writeFile(cover, TINY_PNG);
    const out = join(dir, 'book.m4b');
    const result = await encodeM4b(
      { chapters, gapMs: 750, out, tags: { title: 'A Book; #1', author: 'Ann = Author', cover } },
      ffmpeg,
    );

    const gap = 0.75 * RATE;
    const expectedStarts = [0, lengths[0]! + gap, lengths[0]! + lengths[1]! + 2 * gap];
    assert.deepEqual(
      result.marks.map((mark) => mark.startSample),
      expectedStarts,
    );
    const total = lengths[0]! + lengths[1]! + lengths[2]! + 2 * gap;
    assert.equal(result.totalSamples, total);
    assert.equal(result.durationMs, (total * 1000) / RATE);
    assert.equal(result.primingSamples, 1024, 'the edit list skips the AAC encoder delay');

    const probed = await probe(out);
    assert.equal(probed.chapters.length, 3);
    probed.chapters.forEach((chapter, index) => {
      const expectedMs = (expectedStarts[index]! * 1000) / RATE;
      assert.ok(
        Math.abs(Number(chapter.start_time) * 1000 - expectedMs) <= 1,
        `chapter ${index} at ${chapter.start_time}`,
      );
      assert.equal(chapter.tags?.title, titles[index]);
    });
    const audio = probed.streams.find((stream) => stream.codec_type === 'audio');
    assert.equal(audio?.time_base, `1/${RATE}`);
    // ffprobe takes the played length from the edit list, counted in the movie timescale (ms).
    assert.ok(Math.abs(audio.duration_ts! - total) <= RATE / 1000, `ffprobe: ${audio?.duration_ts} samples`);
    assert.equal(probed.format.tags?.['major_brand']?.trim(), 'M4B');
    assert.equal(probed.format.tags?.['title'], 'A Book; #1');
    assert.equal(probed.format.tags?.['artist'], 'Ann = Author');
    assert.ok(
      probed.streams.some((stream) => stream.disposition?.attached_pic === 1),
      'cover attached',
    );

    const read = await readBackM4b(ffmpeg, out);
    assert.equal(
      read.timing.mediaSamples - read.timing.primingSamples,
      total,
      'encoded length, less priming, is exact',
    );
    assert.deepEqual(
      read.chapters.map((chapter) => chapter.title),
      titles,
    );
    assert.deepEqual((await readdir(dir)).sort(), ['book.m4b', 'ch0.wav', 'ch1.wav', 'ch2.wav', 'cover.png']);
  });

  it('plays each chapter from its mark: the decoded m4b has the priming removed (a tone starts at its chapter mark)', async () => {
    const silent = await writeToneWav(join(dir, 'quiet.wav'), RATE + 333, { hz: 0 });
    const tone = await writeToneWav(join(dir, 'tone.wav'), RATE, { hz: 500, amplitude: 16_000 });
    const out = join(dir, 'onset.m4b');
    const result = await encodeM4b(
      {
        chapters: [
          { title: 'Quiet', file: silent },
          { title: 'Tone', file: tone },
        ],
        gapMs: 0,
        out,
        tags: {},
      },
      ffmpeg,
    );
    const pcm: Buffer[] = [];
    for await (const chunk of decodeToPcm(ffmpeg, out)) pcm.push(chunk);
    const samples = Buffer.concat(pcm);
    let onset = -1;
    for (let at = 0; at + 1 < samples.length; at += 2) {
      if (Math.abs(samples.readInt16LE(at)) > 4000) {
        onset = at / 2;
        break;
      }
    }
    const mark = result.marks[1]!.startSample;
    assert.ok(Math.abs(onset - mark) <= RATE / 1000, `tone heard at sample ${onset}, its mark is ${mark}`);
    await rm(out);
  });

  it('leaves no output and no temporary file when ffmpeg fails, and says what ffmpeg said', async () => {
    const failing = join(dir, 'failing-ffmpeg.sh');
    // Reads some PCM, writes a partial output, then fails: as a crash or a full disk would.
    await writeFile(
      failing,
      '#!/bin/sh\nfor last; do :; done\nhead -c 1000 >/dev/null\necho partial > "$last"\necho "Conversion failed: no space left" >&2\nexit 1\n',
    );
    await chmod(failing, 0o755);
    const sub = await mkdtemp(join(dir, 'fail-'));
    const file = await writeToneWav(join(sub, 'ch.wav'), RATE * 2);
    const out = join(sub, 'book.m4b');
    await assert.rejects(
      encodeM4b({ chapters: [{ title: 'One', file }], gapMs: 0, out, tags: { title: 'T' } }, failing),
      (error: unknown) =>
        error instanceof FfmpegFailed && error.exitCode === 1 && /no space left/.test(error.message),
    );
    assert.deepEqual(await readdir(sub), ['ch.wav']);
  });

  it('stops ffmpeg when aborted mid-encode, and leaves neither output nor temporary file', async () => {
    const stuck = join(dir, 'stuck-ffmpeg.sh');
    // Starts its output, then hangs without reading the rest of its input.
    await writeFile(stuck, '#!/bin/sh\nfor last; do :; done\necho partial > "$last"\nexec sleep 600\n');
    await chmod(stuck, 0o755);
    const sub = await mkdtemp(join(dir, 'abort-'));
    const file = await writeToneWav(join(sub, 'ch.wav'), RATE * 10);
    const controller = new AbortController();
    const encoding = encodeM4b(
      {
        chapters: [{ title: 'One', file }],
        gapMs: 0,
        out: join(sub, 'book.m4b'),
        tags: {},
        signal: controller.signal,
      },
      stuck,
    );
    while (!(await readdir(sub)).some((name) => name.endsWith('.tmp')))
      await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(encoding, { name: 'AbortError' });
    assert.deepEqual(await readdir(sub), ['ch.wav']);
  });

  it('refuses chapters of different formats before starting ffmpeg', async () => {
    const sub = await mkdtemp(join(dir, 'mixed-'));
    const a = await writeToneWav(join(sub, 'a.wav'), 100);
    const b = await writeToneWav(join(sub, 'b.wav'), 100, { sampleRate: 44_100 });
    await assert.rejects(
      encodeM4b(
        {
          chapters: [
            { title: 'A', file: a },
            { title: 'B', file: b },
          ],
          gapMs: 0,
          out: join(sub, 'x.m4b'),
          tags: {},
        },
        ffmpeg,
      ),
      /44100 Hz 1 ch differs/,
    );
    assert.deepEqual((await readdir(sub)).sort(), ['a.wav', 'b.wav']);
  });
});
