import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TtsBatchError } from '../errors.js';

/** Characters of ffmpeg's stderr kept for an error message (its last lines say what went wrong). */
const STDERR_TAIL_CHARS = 4000;

/**
 * A file path as ffmpeg must be given it: one whose first segment looks like a protocol
 * (`chapter:1.wav`, `c:/x`) gets an explicit `file:` so ffmpeg does not take it for a URL.
 */
export function fileArg(path: string): string {
  return /^[\w.+-]+:/.test(path) ? `file:${path}` : path;
}

/** ffmpeg (or ffprobe) exited non-zero, was killed, or could not be started. */
export class FfmpegFailed extends TtsBatchError {
  override name = 'FfmpegFailed' as const;
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    options?: { cause?: unknown },
  ) {
    const how = exitCode !== null ? `exited ${exitCode}` : signal !== null ? `killed by ${signal}` : 'failed';
    const tail = stderrTail.trim();
    super(`${command} ${how}${tail === '' ? '' : `: ${tail}`}`, options);
  }
}

/** Keeps the last `STDERR_TAIL_CHARS` characters written to a child's stderr. */
export function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL_CHARS);
  });
  return () => tail;
}

/** Waits for a child to exit; its exit code and signal (a spawn error rejects). */
export async function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return { code: child.exitCode, signal: child.signalCode };
  }
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

export type RunOptions = {
  /** Bytes written to the child's stdin, with backpressure; stdin is closed when they end. */
  readonly stdin?: AsyncIterable<Buffer> | Iterable<Buffer>;
  readonly signal?: AbortSignal;
};

function brokenPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * Runs `command args`, feeding `stdin` if given, and resolves with its stdout once it exits 0.
 * Any other exit rejects with `FfmpegFailed` carrying the tail of its stderr; an early exit that
 * breaks the stdin pipe is reported as that exit, not as EPIPE. A failing `stdin` source kills
 * the child and rejects with the source's own error; an abort kills it and rejects with the
 * signal's reason.
 */
export async function runFfmpeg(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Buffer> {
  const child = spawn(command, args, {
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const tail = stderrTail(child);
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exit = exited(child);
  exit.catch(() => {}); // awaited below; an abort or spawn error while feeding stdin must not go unhandled
  let feedError: unknown;
  if (options.stdin !== undefined && child.stdin !== null) {
    try {
      await pipeline(Readable.from(options.stdin, { objectMode: false }), child.stdin);
    } catch (error) {
      feedError = error;
      child.kill('SIGKILL');
    }
  }
  let result: { code: number | null; signal: NodeJS.Signals | null };
  try {
    result = await exit;
  } catch (error) {
    options.signal?.throwIfAborted();
    throw new FfmpegFailed(command, args, null, null, tail(), { cause: error });
  }
  options.signal?.throwIfAborted();
  if (feedError instanceof Error && !brokenPipe(feedError)) throw feedError;
  if (result.code !== 0 || feedError !== undefined) {
    throw new FfmpegFailed(command, args, result.code, result.signal, tail(), { cause: feedError });
  }
  return Buffer.concat(chunks);
}
