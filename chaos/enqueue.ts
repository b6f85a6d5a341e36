import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';

export type Enqueued = {
  /** `tts-batch enqueue`'s summary (stdout). */
  readonly stdout: string;
  /** Rows the enqueue adopted from the output directory (`adopted N` in the summary), 0 if none. */
  readonly adopted: number;
};

/** Runs `tts-batch enqueue <script> --run <run>` in this process, as a user would; throws on a non-zero exit. */
export async function enqueueScript(
  script: string,
  run: string,
  env: Readonly<Record<string, string>>,
  cwd: string,
): Promise<Enqueued> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        into.push(chunk.toString('utf8'));
        callback();
      },
    });
  const code = await main(['enqueue', script, '--run', run], {
    stdout: sink(out),
    stderr: sink(err),
    env,
    cwd,
    signal: new AbortController().signal,
  });
  const stdout = out.join('');
  if (code !== 0) throw new Error(`enqueue exited ${code}: ${err.join('').slice(-2000)}`);
  const adopted = /\badopted (\d+)/.exec(stdout);
  return { stdout, adopted: adopted ? Number(adopted[1]) : 0 };
}
