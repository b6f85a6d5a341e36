import { rm } from 'node:fs/promises';
import { decodeToPcm } from '../audio/ffmpeg-decode.js';
import { fileArg, runFfmpeg } from '../audio/ffmpeg-process.js';
import { ACX_SPEC, ACX_TARGET } from './acx-spec.js';
import { measureMp3, type MeasuredFile } from './measure-file.js';
import { measurePcm, type PcmLevels } from './pcm-levels.js';

/** How one file was mastered: the gain and ceiling of the encode that was kept, and how many encodes it took. */
export type MasteredFile = MeasuredFile & {
  readonly gainDb: number;
  readonly ceilingDbfs: number;
  readonly encodes: number;
};

/** The encode is redone (at most this many times in all) when its RMS misses the target by more than the tolerance. */
const MAX_ENCODES = 3;
const RMS_TOLERANCE_DB = 0.5;
const PEAK_MARGIN_DB = 0.3;

/** The silence put before and after the sound (ACX's room tone): chapters take ACX_TARGET's. */
export type RoomTone = { readonly headMs: number; readonly tailMs: number };

const CHAPTER_ROOM_TONE: RoomTone = {
  headMs: ACX_TARGET.headRoomToneMs,
  tailMs: ACX_TARGET.tailRoomToneMs,
};

/** ffmpeg's arguments: the sound of `source` between two samples at 44.1 kHz, levelled, limited, framed in room tone, MP3 CBR. */
export function masterArgs(
  source: string,
  out: string,
  plan: { startSample: number; endSample: number; gainDb: number; ceilingDbfs: number },
  roomTone: RoomTone = CHAPTER_ROOM_TONE,
): string[] {
  const filters = [
    `aresample=${ACX_SPEC.sampleRateHz}`,
    `atrim=start_sample=${plan.startSample}:end_sample=${plan.endSample}`,
    'asetpts=PTS-STARTPTS',
    `volume=${plan.gainDb.toFixed(3)}dB`,
    `alimiter=limit=${(10 ** (plan.ceilingDbfs / 20)).toFixed(5)}:level=0:latency=1:attack=5:release=50`,
    `adelay=${roomTone.headMs}:all=1`,
    `apad=pad_dur=${roomTone.tailMs / 1000}`,
  ];
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    ...['-v', 'error'],
    ...['-i', fileArg(source)],
    ...['-map', '0:a:0', '-vn', '-map_metadata', '-1'],
    ...['-af', filters.join(',')],
    ...['-ac', '1', '-ar', String(ACX_SPEC.sampleRateHz)],
    ...['-c:a', 'libmp3lame', '-b:a', `${ACX_SPEC.bitrateKbps}k`],
    ...['-f', 'mp3', fileArg(out)],
  ];
}

/** The gain that brings the sound to the target RMS over the whole file, room tone included. */
export function gainForTarget(
  source: PcmLevels,
  soundMeanSquare: number,
  targetDbfs: number,
  roomTone: RoomTone = CHAPTER_ROOM_TONE,
): number {
  const soundSamples = source.soundEndSample - source.soundStartSample;
  const outSamples =
    soundSamples + Math.round(((roomTone.headMs + roomTone.tailMs) * source.sampleRateHz) / 1000);
  const wantedSum = 10 ** (targetDbfs / 10) * outSamples;
  return 10 * Math.log10(wantedSum / (soundMeanSquare * soundSamples));
}

/**
 * Masters `source` (any audio ffmpeg reads) into the MP3 `out`: a measuring pass at 44.1 kHz
 * finds the sound (leading and trailing room tone cut to be replaced by ACX's), then each encode
 * is decoded again and measured; one that misses the RMS target (the limiter takes some) or the
 * peak bound is redone with the gain or the ceiling corrected, up to MAX_ENCODES.
 */
export async function masterFile(
  ffmpeg: string,
  source: string,
  out: string,
  signal?: AbortSignal,
  roomTone: RoomTone = CHAPTER_ROOM_TONE,
): Promise<MasteredFile> {
  const sound = await measureSound(ffmpeg, source, signal);
  if (sound.levels.soundEndSample <= sound.levels.soundStartSample) {
    throw new Error(`${source}: no sound above ${ACX_TARGET.soundThresholdDbfs} dBFS to master`);
  }
  let gainDb = gainForTarget(sound.levels, sound.meanSquare, ACX_TARGET.rmsDbfs, roomTone);
  let ceilingDbfs: number = ACX_TARGET.limiterCeilingDbfs;
  let measured: MeasuredFile | undefined;
  let encodes = 0;
  while (encodes < MAX_ENCODES) {
    const plan = {
      startSample: sound.levels.soundStartSample,
      endSample: sound.levels.soundEndSample,
      gainDb,
      ceilingDbfs,
    };
    await runFfmpeg(ffmpeg, masterArgs(source, out, plan, roomTone), signal ? { signal } : {});
    encodes += 1;
    measured = await measureMp3(ffmpeg, out, signal);
    const rmsMiss = ACX_TARGET.rmsDbfs - measured.levels.rmsDbfs;
    const peakOver = measured.levels.peakDbfs - ACX_SPEC.peakDbfs.max;
    if (Math.abs(rmsMiss) <= RMS_TOLERANCE_DB && peakOver <= -PEAK_MARGIN_DB / 2) break;
    gainDb += rmsMiss;
    if (peakOver > -PEAK_MARGIN_DB / 2) ceilingDbfs -= peakOver + PEAK_MARGIN_DB;
  }
  if (measured === undefined) {
    await rm(out, { force: true });
    throw new Error('unreachable: at least one encode');
  }
  return { ...measured, gainDb, ceilingDbfs, encodes };
}

/** The source at 44.1 kHz: its levels, and the mean square of its sound (first to last sound block). */
async function measureSound(
  ffmpeg: string,
  source: string,
  signal: AbortSignal | undefined,
): Promise<{ levels: PcmLevels; meanSquare: number }> {
  const pcm = decodeToPcm(ffmpeg, source, {
    sampleRate: ACX_SPEC.sampleRateHz,
    channels: 1,
    ...(signal ? { signal } : {}),
  });
  const levels = await measurePcm(pcm, ACX_SPEC.sampleRateHz);
  // The room tone around the sound is at or below the threshold: the sound holds nearly all the energy.
  const soundSamples = Math.max(1, levels.soundEndSample - levels.soundStartSample);
  const meanSquare = (10 ** (levels.rmsDbfs / 10) * levels.samples) / soundSamples;
  return { levels, meanSquare };
}
