import { spawn } from 'node:child_process';
import { exited, FfmpegFailed, fileArg, stderrTail } from './ffmpeg-process.js';

/** The PCM every clip is decoded to: what the Segmind simulator's WAVs and the chapter files hold. */
export const DECODE_FORMAT = { sampleRate: 24_000, channels: 1, bitsPerSample: 16 } as const;

export type DecodeOptions = {
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly signal?: AbortSignal;
};

/**
 * Decodes any audio file ffmpeg reads (MP3 clips, WAVs of another rate) to raw s16le PCM,
 * mono 24 kHz by default, streamed from ffmpeg's stdout chunk by chunk. A failed decode throws
 * `FfmpegFailed` with the tail of ffmpeg's stderr after the last chunk; stopping early (break,
 * abort) kills ffmpeg, and an abort rejects with the signal's reason.
 */
export async function* decodeToPcm(
  ffmpeg: string,
  file: string,
  options: DecodeOptions = {},
): AsyncGenerator<Buffer> {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    ...['-i', fileArg(file)],
    ...['-map', '0:a:0', '-vn'],
    ...['-f', 's16le', '-acodec', 'pcm_s16le'],
    ...['-ar', String(options.sampleRate ?? DECODE_FORMAT.sampleRate)],
    ...['-ac', String(options.channels ?? DECODE_FORMAT.channels)],
    'pipe:1',
  ];
  const child = spawn(ffmpeg, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const tail = stderrTail(child);
  const exit = exited(child);
  exit.catch(() => {}); // awaited below; a spawn error must not go unhandled meanwhile
  let finished = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield chunk;
    let result: Awaited<typeof exit>;
    try {
      result = await exit;
    } catch (error) {
      options.signal?.throwIfAborted();
      throw new FfmpegFailed(ffmpeg, args, null, null, tail(), { cause: error });
    }
    options.signal?.throwIfAborted();
    if (result.code !== 0) throw new FfmpegFailed(ffmpeg, args, result.code, result.signal, tail());
    finished = true;
  } finally {
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
