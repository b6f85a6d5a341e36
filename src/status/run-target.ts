import { checkRunName } from '../enqueue/run-name.js';
import { UsageError } from '../errors.js';
import { listRuns } from './run-progress.js';
import type { QueueSession } from '../queue/queue-session.js';

/** The runs a command acts on: the one named with `--run` (which must exist), else every run. */
export async function targetRuns(session: QueueSession, run: string | undefined): Promise<string[]> {
  const all = await listRuns(session.redis, session.prefix);
  if (run === undefined) return all;
  const name = checkRunName(run);
  if (!all.includes(name)) {
    throw new UsageError(
      `no run named \`${name}\`${all.length > 0 ? ` (runs: ${all.slice(-10).join(', ')})` : ' (no runs yet)'}`,
    );
  }
  return [name];
}
