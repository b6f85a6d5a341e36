// `npm run chaos`: the reproducible crash test of issue 7. Exits 1 on any loss.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHAOS_HELP, parseChaosArgs } from './options.js';
import { chaosPassed, formatChaosReport } from './report.js';
import { runChaos } from './scenario.js';

const options = parseChaosArgs(process.argv.slice(2));
if (!options) {
  process.stdout.write(CHAOS_HELP);
} else {
  const report = await runChaos(options, (line) => process.stdout.write(`chaos: ${line}\n`));
  process.stdout.write(`${formatChaosReport(report)}\n`);
  // The table shows the first losses; a diagnostic run keeps them all.
  if (options.logDir !== undefined)
    await writeFile(join(options.logDir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  process.exitCode = chaosPassed(report) ? 0 : 1;
}
