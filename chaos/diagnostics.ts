import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from '../src/simulator/ledger.js';
import type { Timeline } from './timeline.js';

/**
 * For a diagnostic run (`--log-dir`): the simulator's ledger and the faults injected, with
 * wall-clock times (ms since epoch, as the workers' JSON logs have them), beside the workers' logs.
 */
export async function writeDiagnostics(logDir: string, ledger: Ledger, timeline: Timeline): Promise<void> {
  await writeFile(join(logDir, 'ledger.json'), `${JSON.stringify(ledger, null, 1)}\n`);
  const events = timeline.events.map((event) => ({ ...event, t: timeline.at(event.atMs) }));
  await writeFile(
    join(logDir, 'faults.json'),
    `${JSON.stringify({ startedAtMs: timeline.startedAtMs, events }, null, 1)}\n`,
  );
}
