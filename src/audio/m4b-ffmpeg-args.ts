import { fileArg } from './ffmpeg-process.js';

/** AAC bit rate of the m4b: plenty for mono speech at 24 kHz. */
export const DEFAULT_BITRATE_KBPS = 64;

/** ffmpeg input options for raw s16le PCM on stdin. */
export function rawPcmInput(sampleRate: number, channels: number): string[] {
  return ['-f', 's16le', '-ar', String(sampleRate), '-ac', String(channels), '-i', 'pipe:0'];
}

/** ffmpeg input options for a concat list of WAVs (paths in it relative to the list). */
export function concatInput(listFile: string): string[] {
  return ['-f', 'concat', '-safe', '0', '-i', fileArg(listFile)];
}

/**
 * The m4b encode: input 0 the audio, input 1 the ffmetadata (tags and chapters), input 2 the
 * cover; AAC in the `ipod` flavour of the mp4 muxer (what .m4b players expect) with the
 * audiobook brand `M4B `, the cover as an attached picture (an iTunes `covr` atom).
 */
export function encoderArgs(input: {
  readonly audioInput: readonly string[];
  readonly metadataFile: string;
  readonly cover: string | undefined;
  readonly bitrateKbps: number;
  readonly out: string;
  /** Errors only, no progress (when a program reads stderr); a person running it wants progress. */
  readonly quiet: boolean;
}): string[] {
  const cover = input.cover;
  return [
    '-hide_banner',
    ...(input.quiet ? ['-nostats', '-v', 'error'] : []),
    ...input.audioInput,
    ...['-i', fileArg(input.metadataFile)],
    ...(cover === undefined ? [] : ['-i', fileArg(cover)]),
    ...['-map', '0:a', '-map_metadata', '1', '-map_chapters', '1'],
    ...(cover === undefined ? [] : ['-map', '2:v', '-c:v', 'copy', '-disposition:v', 'attached_pic']),
    ...['-c:a', 'aac', '-b:a', `${input.bitrateKbps}k`],
    ...['-f', 'ipod', '-brand', 'M4B ', '-y', fileArg(input.out)],
  ];
}
