import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { captionCues } from '../src/audio/captions.js';
import { decodeToPcm } from '../src/audio/ffmpeg-decode.js';
import { locateFfmpeg } from '../src/audio/ffmpeg-locate.js';
import { int16Samples } from '../src/audio/clip-pcm.js';
import { joinClips } from '../src/audio/join-clips.js';
import { DEFAULT_TRIM } from '../src/audio/silence.js';
import { msToFrames, thresholdAmplitude } from '../src/audio/speech-scanner.js';
import { readWavInfo } from '../src/audio/wav-file.js';
import { MP3_SAMPLES_PER_FRAME } from '../src/simulator/mp3.js';
import { SAMPLE_RATE_HZ, servedAudio, speechPcm, speechSampleCount } from '../src/simulator/speech-audio.js';

// The simulator's speech, exactly as it serves it for `--audio wav`, joined as a chapter would be.

const dir = await mkdtemp(join(tmpdir(), 'audio-join-simulator-'));
after(() => rm(dir, { recursive: true, force: true }));

const TEXTS = [
  'Chapter One. The Lighthouse.',
  'The keeper climbed the stairs, counting each one out loud. Mr. Hale had told him to.',
  'At the top, the lamp was cold. He lit it, and the sea turned gold...',
  'Nobody came.',
];
const GAPS_MS = [900, 400, 650];
const PAD = msToFrames(DEFAULT_TRIM.padMs, SAMPLE_RATE_HZ);
const LOUD = thresholdAmplitude(DEFAULT_TRIM.thresholdDbfs);

function ffmpegPcmBytes(file: string): number | undefined {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 's16le', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (probe.error !== undefined) return undefined; // no ffmpeg here (CI installs it)
  assert.equal(probe.status, 0, probe.stderr.toString());
  return probe.stdout.length;
}

test('simulator WAVs: total = trimmed clips + gaps, no loud sample lost, pads of digital silence', async () => {
  const clips = [];
  for (const [index, text] of TEXTS.entries()) {
    const file = join(dir, `row-${index}.wav`);
    await writeFile(file, servedAudio(text, 'wav'));
    clips.push({ id: `row-${index}`, file });
  }
  const out = join(dir, 'chapters', '001.wav');
  const layout = await joinClips({ clips, out, gapsMs: GAPS_MS, trim: true });

  const gapFrames = GAPS_MS.map((ms) => msToFrames(ms, SAMPLE_RATE_HZ));
  const clipFrames = layout.clips.reduce((sum, clip) => sum + clip.samples, 0);
  assert.equal(layout.totalSamples, clipFrames + gapFrames.reduce((sum, gap) => sum + gap, 0));
  assert.equal((await readWavInfo(out)).frames, layout.totalSamples);
  const decodedBytes = ffmpegPcmBytes(out);
  if (decodedBytes !== undefined)
    assert.equal(decodedBytes, layout.totalSamples * 2, 'ffmpeg decodes the same length');

  const bytes = await readFile(out);
  const info = await readWavInfo(out);
  const output = int16Samples(bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytes));
  for (const [index, clip] of layout.clips.entries()) {
    const source = int16Samples(speechPcm(TEXTS[index] ?? ''));
    const piece = output.subarray(clip.startSample, clip.startSample + clip.samples);
    assert.ok(clip.trimmed, `${clip.id} has speech`);
    // Trimmed: shorter than the source plus two pads (the text ends on a pause), never cut into speech.
    assert.ok(clip.samples < source.length + 2 * PAD, `${clip.id}: ${clip.samples} frames`);
    const firstLoud = source.findIndex((value) => Math.abs(value) >= LOUD);
    const lastLoud = source.findLastIndex((value) => Math.abs(value) >= LOUD);
    // The speech is the source's samples from its first to its last loud one, one pad in.
    assert.deepEqual(
      piece.subarray(PAD, PAD + lastLoud - firstLoud + 1),
      source.subarray(firstLoud, lastLoud + 1),
    );
    assert.equal(clip.samples, lastLoud - firstLoud + 1 + 2 * PAD, `${clip.id}: exactly a pad each side`);
    assert.ok(
      piece.subarray(0, PAD - firstLoud).every((value) => value === 0),
      'lead made of zeros',
    );
    const gap = gapFrames[index] ?? 0;
    const after = output.subarray(clip.startSample + clip.samples, clip.startSample + clip.samples + gap);
    assert.ok(
      after.every((value) => value === 0),
      `${clip.id}: gap of digital silence`,
    );
  }

  const cues = captionCues(layout, new Map(TEXTS.map((text, index) => [`row-${index}`, text])));
  assert.equal(cues.length, 7);
  const endMs = (layout.totalSamples * 1000) / layout.sampleRate;
  cues.reduce((previousEnd, cue) => {
    assert.ok(
      cue.startMs >= previousEnd && cue.endMs > cue.startMs && cue.endMs <= endMs,
      JSON.stringify(cue),
    );
    return cue.endMs;
  }, 0);
});

const ffmpeg = await locateFfmpeg({ configuredPath: process.env.TTS_FFMPEG, searchPath: process.env.PATH });

test(
  "MP3 clips through ffmpeg: an encoded voice trimmed like a WAV, the simulator's silent MP3 kept whole",
  { skip: ffmpeg === undefined && 'no ffmpeg' },
  async () => {
    assert.ok(ffmpeg !== undefined);
    const [wavText, voiceText, silentText] = TEXTS;
    const wav = join(dir, 'mp3-a.wav');
    await writeFile(wav, servedAudio(wavText ?? '', 'wav'));
    const voiceWav = join(dir, 'voice-source.wav');
    await writeFile(voiceWav, servedAudio(voiceText ?? '', 'wav'));
    const voice = join(dir, 'mp3-b.mp3');
    const encode = spawnSync(ffmpeg.path, [
      '-v',
      'error',
      '-i',
      voiceWav,
      '-c:a',
      'libmp3lame',
      '-b:a',
      '64k',
      voice,
    ]);
    assert.equal(encode.status, 0, encode.stderr.toString());
    const silent = join(dir, 'mp3-c.mp3');
    await writeFile(silent, servedAudio(silentText ?? '', 'mp3'));

    const out = join(dir, 'mp3-joined.wav');
    const layout = await joinClips(
      {
        clips: [
          { id: 'wav', file: wav },
          { id: 'voice', file: voice },
          { id: 'silent', file: silent },
        ],
        out,
        gapsMs: [500, 500],
        trim: true,
      },
      { decode: (file) => decodeToPcm(ffmpeg.path, file) },
    );
    const [wavClip, voiceClip, silentClip] = layout.clips;
    assert.ok(wavClip && voiceClip && silentClip);
    assert.equal(
      layout.totalSamples,
      wavClip.samples + voiceClip.samples + silentClip.samples + 2 * msToFrames(500, SAMPLE_RATE_HZ),
    );
    assert.equal((await readWavInfo(out)).frames, layout.totalSamples);
    assert.equal(ffmpegPcmBytes(out), layout.totalSamples * 2);

    // The voice survives MP3 within a frame or so of its WAV length: found, trimmed to its pads.
    const source = int16Samples(speechPcm(voiceText ?? ''));
    const speech =
      source.findLastIndex((value) => Math.abs(value) >= LOUD) -
      source.findIndex((value) => Math.abs(value) >= LOUD) +
      1;
    assert.ok(voiceClip.trimmed);
    assert.ok(
      Math.abs(voiceClip.samples - (speech + 2 * PAD)) <= MP3_SAMPLES_PER_FRAME,
      `voice ${voiceClip.samples} vs ${speech + 2 * PAD}`,
    );
    // Silent frames hold no speech: nothing to trim against, kept as decoded.
    const silentFrames =
      Math.ceil(speechSampleCount(silentText ?? '') / MP3_SAMPLES_PER_FRAME) * MP3_SAMPLES_PER_FRAME;
    assert.equal(silentClip.trimmed, false);
    assert.ok(
      silentClip.samples <= silentFrames && silentClip.samples >= silentFrames - 2 * MP3_SAMPLES_PER_FRAME,
      `silent ${silentClip.samples} of ${silentFrames}`,
    );
  },
);
