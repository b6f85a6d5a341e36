import { decodeToPcm } from '../audio/ffmpeg-decode.js';
import { ACX_SPEC } from './acx-spec.js';
import { readMp3Frames, type Mp3Frames } from './mp3-frames.js';
import { measurePcm, type PcmLevels } from './pcm-levels.js';

/** A written MP3, decoded again and measured: its levels and its frame headers. */
export type MeasuredFile = { readonly levels: PcmLevels; readonly frames: Mp3Frames };

/**
 * Decodes `path` with ffmpeg to mono s16le at the rate its frames declare (ACX's 44.1 kHz when
 * they declare none) and measures it; mastered files are mono, so the downmix changes nothing.
 */
export async function measureMp3(ffmpeg: string, path: string, signal?: AbortSignal): Promise<MeasuredFile> {
  const frames = await readMp3Frames(path);
  const rates = [...frames.sampleRatesHz];
  const sampleRateHz = rates.length === 1 ? (rates[0] ?? ACX_SPEC.sampleRateHz) : ACX_SPEC.sampleRateHz;
  const pcm = decodeToPcm(ffmpeg, path, {
    sampleRate: sampleRateHz,
    channels: 1,
    ...(signal ? { signal } : {}),
  });
  const levels = await measurePcm(pcm, sampleRateHz);
  return { levels, frames };
}
