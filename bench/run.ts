// `npm run bench [-- --quick] [-- --only a,b] [-- --merge]`: every scenario of issue 6 and of issue
// "Paid once, nothing lost" against private Redis servers and the in-process simulator on
// 127.0.0.1; prints a table, writes bench/results/latest.json and the results sections of
// BENCHMARKS.md. See BENCHMARKS.md for what each figure means.
import { parseArgs } from 'node:util';
import { log, type Figures, type ScenarioResult, type TableRow } from './common.js';
import { benchChunking } from './chunking.js';
import { benchCompletion } from './completion.js';
import { benchEnqueue } from './enqueue.js';
import { benchM4b } from './m4b.js';
import { benchMaster } from './master.js';
import { benchPolling } from './polling.js';
import { benchQa } from './qa.js';
import { benchRateLimited } from './rate-limited.js';
import { benchRedisMemory } from './redis-memory.js';
import {
  latestJson,
  markdownTable,
  mergeLatestJson,
  readJson,
  runInfo,
  updateBenchmarksMd,
  updateBenchmarksSection,
  writeJson,
} from './report.js';
import { benchScaleOut } from './scale-out.js';
import { benchWorkerOverhead } from './worker-overhead.js';
import { benchWorkerRss } from './worker-rss.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, only: { type: 'string' }, merge: { type: 'boolean' } },
  strict: true,
});
const quick = values.quick === true;
const SCENARIOS: Record<string, () => Promise<ScenarioResult>> = {
  enqueue: () => benchEnqueue(quick),
  worker: benchWorkerOverhead,
  polling: benchPolling,
  rate: benchRateLimited,
  scale: benchScaleOut,
  'redis-memory': () => benchRedisMemory(quick),
  completion: () => benchCompletion(quick),
  'worker-rss': () => benchWorkerRss(quick),
  chunking: () => benchChunking(quick),
  m4b: () => benchM4b(quick),
  qa: () => benchQa(quick),
  master: () => benchMaster(quick),
};
/** Scenarios whose table has its own section of BENCHMARKS.md (so that one can be rerun alone). */
const OWN_SECTION: ReadonlySet<string> = new Set([
  'redis-memory',
  'completion',
  'worker-rss',
  'chunking',
  'm4b',
  'qa',
  'master',
]);
const only = values.only?.split(',') ?? Object.keys(SCENARIOS);
for (const name of only)
  if (!SCENARIOS[name])
    throw new Error(`bench: unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
const merge = values.merge === true;
if (merge && (quick || only.some((name) => !OWN_SECTION.has(name))))
  throw new Error(`bench: --merge takes full runs of ${[...OWN_SECTION].join(', ')} only`);

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const startedAt = performance.now();
const figures: Figures = {};
const mainRows: TableRow[] = [];
const sections: { name: string; rows: readonly TableRow[]; durationS: number }[] = [];
for (const name of only) {
  const scenarioStartedAt = performance.now();
  const result = await (SCENARIOS[name] as () => Promise<ScenarioResult>)();
  Object.assign(figures, result.figures);
  if (OWN_SECTION.has(name))
    sections.push({ name, rows: result.rows, durationS: (performance.now() - scenarioStartedAt) / 1000 });
  else mainRows.push(...result.rows);
}
const info = runInfo(command, (performance.now() - startedAt) / 1000);
const allRows = [...mainRows, ...sections.flatMap((section) => section.rows)];
process.stdout.write(`\n${markdownTable(allRows)}\n\n${info.machine}; ${info.date}; ${info.durationS} s\n`);
const complete = !quick && values.only === undefined;
if (complete || merge) {
  const latest = complete
    ? latestJson(figures, info)
    : mergeLatestJson(await readJson('bench/results/latest.json'), figures, info, only);
  await writeJson('bench/results/latest.json', latest);
  if (complete) await updateBenchmarksMd('BENCHMARKS.md', mainRows, info);
  for (const section of sections)
    await updateBenchmarksSection('BENCHMARKS.md', section.name, section.rows, {
      ...info,
      durationS: Math.round(section.durationS),
    });
  log(`wrote bench/results/latest.json and BENCHMARKS.md${complete ? '' : ` (${only.join(', ')} merged)`}`);
} else {
  await writeJson('bench/results/partial.json', latestJson(figures, info));
  log('partial run: wrote bench/results/partial.json; latest.json and BENCHMARKS.md left as they were');
}
