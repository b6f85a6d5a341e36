// `npm run bench [-- --quick] [-- --only a,b]`: every scenario of issue 6 against a private Redis
// and the in-process simulator on 127.0.0.1; prints a table, writes bench/results/latest.json
// and the results section of BENCHMARKS.md. See BENCHMARKS.md for what each figure means.
import { parseArgs } from 'node:util';
import { log, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { benchEnqueue } from './enqueue.js';
import { benchPolling } from './polling.js';
import { benchRateLimited } from './rate-limited.js';
import { latestJson, markdownTable, runInfo, updateBenchmarksMd, writeJson } from './report.js';
import { benchScaleOut } from './scale-out.js';
import { benchWorkerOverhead } from './worker-overhead.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' } },
  strict: true,
});
const quick = values.quick === true;
const SCENARIOS: Record<string, () => Promise<ScenarioResult>> = {
  enqueue: () => benchEnqueue(quick),
  worker: benchWorkerOverhead,
  polling: benchPolling,
  rate: benchRateLimited,
  scale: benchScaleOut,
};
const only = values.only?.split(',') ?? Object.keys(SCENARIOS);

const startedAt = performance.now();
const figures: Figures = {};
const rows: TableRow[] = [];
for (const name of only) {
  const scenario = SCENARIOS[name];
  if (!scenario)
    throw new Error(`bench: unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const result = await scenario();
  Object.assign(figures, result.figures);
  rows.push(...result.rows);
}
const command = `npm run bench${quick || values.only ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const info = runInfo(command, (performance.now() - startedAt) / 1000);
process.stdout.write(`\n${markdownTable(rows)}\n\n${info.machine}; ${info.date}; ${info.durationS} s\n`);
const complete = !quick && values.only === undefined;
if (complete) {
  await writeJson('bench/results/latest.json', latestJson(figures, info));
  await updateBenchmarksMd('BENCHMARKS.md', rows, info);
  log('wrote bench/results/latest.json and BENCHMARKS.md');
} else {
  await writeJson('bench/results/partial.json', latestJson(figures, info));
  log('partial run: wrote bench/results/partial.json; latest.json and BENCHMARKS.md left as they were');
}
