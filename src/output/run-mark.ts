import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TtsBatchError } from '../errors.js';
import { makeDir, sweepStaleTemps, uniqueTempName } from './run-files.js';

/** The file in a run's output directory that says which run owns it. */
export const RUN_MARK_FILE = '.tts-run.json';

/** The contents of `<outDir>/.tts-run.json`. */
export type RunMark = {
  /** `TTS_QUEUE_PREFIX` of the run. */
  readonly prefix: string;
  readonly run: string;
  /** ISO time of the enqueue that made the mark. */
  readonly created_at: string;
  /** Random id of this run, also in the run's meta hash (`runId`): tells two runs of one name apart. */
  readonly run_id: string;
};

export type RunIdentity = { readonly prefix: string; readonly run: string };

/** The run directory belongs to another run (another queue prefix, or another run name): refused, exit 2. */
export class RunDirInUseError extends TtsBatchError {
  override name = 'RunDirInUseError' as const;
  constructor(
    readonly dir: string,
    readonly mark: RunMark | undefined,
    readonly wanted: RunIdentity,
  ) {
    const owner = mark
      ? `run \`${mark.run}\` of queue prefix \`${mark.prefix}\` (created at ${mark.created_at})`
      : 'another run (its .tts-run.json cannot be read)';
    super(
      `the output directory ${dir} belongs to ${owner}, not to run \`${wanted.run}\` of queue prefix ` +
        `\`${wanted.prefix}\`; its files would be overwritten. Choose another --out or --run, ` +
        'or delete the directory to start over',
    );
  }
}

function decodeMark(text: string): RunMark | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof RunMark, unknown>>;
    const { prefix, run, created_at: createdAt, run_id: runId } = value;
    if (typeof prefix !== 'string' || typeof run !== 'string' || typeof runId !== 'string') return undefined;
    return { prefix, run, created_at: typeof createdAt === 'string' ? createdAt : '', run_id: runId };
  } catch {
    return undefined;
  }
}

/** The mark of `dir`: undefined when there is none, 'unreadable' when it is not a mark. */
export async function readRunMark(dir: string): Promise<RunMark | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RUN_MARK_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  return decodeMark(text) ?? 'unreadable';
}

const owns = (mark: RunMark, identity: RunIdentity) =>
  mark.prefix === identity.prefix && mark.run === identity.run;

/** Creates `dir/.tts-run.json` unless it exists: written aside, fsynced, then hard-linked in (fails if taken). */
async function createMark(dir: string, mark: RunMark): Promise<boolean> {
  await makeDir(dir);
  await sweepStaleTemps(dir, [RUN_MARK_FILE]);
  const temporary = join(dir, uniqueTempName(RUN_MARK_FILE));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temporary, flags, 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(mark, null, 2)}\n`);
    await handle.sync();
    await handle.close();
    await link(temporary, join(dir, RUN_MARK_FILE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
  }
}

/**
 * Claims `dir` for the run at enqueue: writes its mark on first enqueue, returns the mark when it
 * is this run's, and throws RunDirInUseError (exit 2) when another run owns the directory.
 * `runId` is used for a new mark (the run's id from its meta, so that a directory deleted and made
 * again keeps the id workers know); a random one when undefined.
 */
export async function claimRunDir(
  dir: string,
  identity: RunIdentity,
  options: { readonly runId?: string | undefined; readonly now?: Date } = {},
): Promise<RunMark> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const found = await readRunMark(dir);
    if (found === 'unreadable') throw new RunDirInUseError(dir, undefined, identity);
    if (found) {
      if (!owns(found, identity)) throw new RunDirInUseError(dir, found, identity);
      return found;
    }
    const mark: RunMark = {
      prefix: identity.prefix,
      run: identity.run,
      created_at: (options.now ?? new Date()).toISOString(),
      run_id: options.runId || randomBytes(12).toString('hex'),
    };
    if (await createMark(dir, mark)) return mark;
    // Another enqueue made it in between: read theirs.
  }
  throw new Error(`could not claim the output directory ${dir}: its ${RUN_MARK_FILE} keeps changing`);
}

/**
 * Whether `dir` is the output directory of the run, for a worker about to write into it:
 * `missing` means there is no mark (this machine does not see the run's directory, or it was
 * deleted), `mismatch` that it belongs to another run (or another run of the same name).
 */
export async function verifyRunMark(
  dir: string,
  expected: RunIdentity & { readonly runId: string },
): Promise<'ok' | 'missing' | 'mismatch'> {
  const found = await readRunMark(dir);
  if (found === undefined) return 'missing';
  if (found === 'unreadable' || !owns(found, expected) || found.run_id !== expected.runId) return 'mismatch';
  return 'ok';
}
