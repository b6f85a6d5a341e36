import type { Writable } from 'node:stream';

export type ReaderWatch = {
  /** True once a write met EPIPE: whoever read the output (`| head -1`) has gone. */
  gone(): boolean;
  stop(): void;
};

/**
 * Notices the reader of `out` going away. Node's stdout is not destroyed by EPIPE (its stream
 * stays writable, writes just fail), so the error event is the one sign; what only prints, like
 * `status --watch`, stops on it.
 */
export function watchReader(out: Writable): ReaderWatch {
  let gone = false;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') gone = true;
  };
  out.on('error', onError);
  return { gone: () => gone, stop: () => out.off('error', onError) };
}
