import type { Writable } from 'node:stream';

/**
 * A command's output whose reader has gone (`tts-batch status | head -1`) ends the command
 * quietly: the write's EPIPE is not an unhandled error with a stack but `onClosed` (which stops
 * what only prints, like `status --watch`); later writes go nowhere, and the command's own exit
 * status stands. Any other stream error is still thrown.
 */
export function endQuietlyOnClosedPipe(streams: readonly Writable[], onClosed: () => void): void {
  let closed = false;
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (closed) return;
      closed = true;
      onClosed();
    });
  }
}
