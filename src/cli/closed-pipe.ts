import type { Writable } from 'node:stream';

/**
 * Output whose reader has gone (`tts-batch status | head -1`) is not an error: the write's EPIPE
 * would be an unhandled 'error' event with a stack. Later writes fail the same way and go
 * nowhere; what only prints (`status --watch`) stops on it (status/reader-gone.ts), the rest
 * finishes its work, and the command's own exit status stands. Any other stream error is thrown.
 */
export function ignoreClosedPipe(streams: readonly Writable[]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}
