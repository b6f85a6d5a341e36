import { makeAudioFileWriter, type AudioTarget, type SavedAudioFile } from './audio-file.js';
import { decodeOutput } from './audio-output.js';
import { streamAudio, type DownloadOptions } from './download.js';

export type SaveAudioDeps = {
  readonly download: DownloadOptions;
  /** Another writer's temporary file untouched for this long is a crashed writer's, and is swept. */
  readonly staleTempMs: number;
};

/**
 * Saves a result's `output` (URL string, `{url}`, data URI, bare base64) to `{dir}/{name}.{wav|mp3}`:
 * a URL is streamed to disk chunk by chunk under the download guard, inline audio is decoded and
 * written the same way. Nothing is left behind on failure; the caller's abort is rethrown as its reason.
 */
export async function saveAudioOutput(
  output: unknown,
  target: AudioTarget,
  deps: SaveAudioDeps,
  signal?: AbortSignal,
): Promise<SavedAudioFile> {
  signal?.throwIfAborted();
  const source = decodeOutput(output, deps.download.maxBytes);
  const writer = makeAudioFileWriter(target, { staleTempMs: deps.staleTempMs });
  try {
    if (source.kind === 'bytes') {
      writer.begin(source.bytes.length);
      await writer.write(source.bytes);
    } else {
      await streamAudio(source.url, deps.download, writer, signal);
    }
    return await writer.finish();
  } catch (error) {
    await writer.discard();
    throw error;
  }
}
