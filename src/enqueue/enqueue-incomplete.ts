import { TtsBatchError } from '../errors.js';

/** Where an enqueue was when it stopped: before `rows`, Redis holds nothing new of the run. */
export type EnqueuePhase = 'rows' | 'adopt' | 'jobs' | 'manifests';

/** What an enqueue that stopped part-way had done (see EnqueueIncompleteError). */
export type EnqueueStop = {
  readonly run: string;
  readonly phase: EnqueuePhase;
  /** Rows of the script that needed a job (known once the rows are compared, from `adopt` on). */
  readonly jobsNeeded: number | undefined;
  /** Jobs of this enqueue in Redis when it stopped. */
  readonly jobsAdded: number;
  /** False when `jobsAdded` is only a lower bound (Redis could not be asked after the stop). */
  readonly jobsAddedExact: boolean;
};

const count = (value: number) => value.toLocaleString('en-US');

/** Redis refused a write for lack of memory (`OOM command not allowed when used memory > 'maxmemory'`). */
export function isRedisOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /^OOM\b/.test(error.message);
}

/**
 * An enqueue that stopped after it began writing the run to Redis (out of memory, Ctrl-C, the
 * connection lost): the run is partly queued. Enqueueing the same script again completes it:
 * rows whose job is there are left alone, the others get theirs, and none is queued twice.
 */
export class EnqueueIncompleteError extends TtsBatchError {
  override name = 'EnqueueIncompleteError' as const;
  constructor(
    readonly stop: EnqueueStop,
    options: { readonly cause: unknown },
  ) {
    super(`enqueue of run ${stop.run} stopped part-way (${describeCause(options.cause)})`, options);
  }

  /** What the user reads: what got queued, and that the same command completes the run. */
  explain(): string {
    const queued = describeQueued(this.stop);
    const lines = [
      `tts-batch enqueue: ${this.message}`,
      `  run \`${this.stop.run}\` is partly queued: ${queued}.`,
    ];
    if (isRedisOutOfMemory(this.cause)) {
      lines.push(
        "  Redis is out of memory (maxmemory): free some first (raise maxmemory, or clear old runs' keys).",
      );
    }
    lines.push(
      '  Run the same command again to complete it: rows already queued are not queued (or paid for) twice.',
    );
    return `${lines.join('\n')}\n`;
  }
}

/** How far the jobs got: `at least 1,000 of 4,000 new rows got their jobs; 3,000 have none yet`. */
function describeQueued({
  phase,
  jobsNeeded: needed,
  jobsAdded: added,
  jobsAddedExact,
}: EnqueueStop): string {
  if (phase === 'rows' || phase === 'adopt' || needed === undefined) return 'no row got a job yet';
  if (phase === 'manifests' || added >= needed) return 'every row got its job';
  const left = needed - added;
  const got = `${jobsAddedExact ? '' : 'at least '}${count(added)} of ${count(needed)}`;
  return `${got} new ${needed === 1 ? 'row' : 'rows'} got a job; ${count(left)} ${left === 1 ? 'has' : 'have'} none yet`;
}

function describeCause(cause: unknown): string {
  if (isRedisOutOfMemory(cause)) return 'Redis refused a write: out of memory';
  if (cause instanceof Error) return cause.message.split('\n')[0] ?? cause.name;
  return String(cause);
}
