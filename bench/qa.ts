// Clip QA speed (issue 14): how many times faster than real time analyseClip checks audio on one
// core, so that checking every clip never slows a worker. The clip is the simulator's speech
// (24 kHz mono 16-bit, Gemini's format), read from a WAV a MB at a time as a worker would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseClip } from '../src/qa/analyse-clip.js';
import { servedAudio } from '../src/simulator/speech-audio.js';
import { log, round, type ScenarioResult } from './common.js';

const GOAL_X = 200;
const SENTENCE =
  'The lantern swung in the window, and the old station slept under a silver morning. ' +
  '"Never again," she said, and walked north through the garden towards the river. ';
/** Timed runs after one untimed warm-up (the JIT); the median is quoted. */
const REPEATS = 5;

type Run = { readonly wallS: number; readonly cpuS: number };

async function timed(file: string, text: string): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const qa = await analyseClip(file, text);
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (qa.verdict !== 'pass') throw new Error(`bench qa: the clean clip failed: ${qa.reasons.join(', ')}`);
  return { wallS, cpuS: (used.user + used.system) / 1e6 };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

export async function benchQa(quick: boolean): Promise<ScenarioResult> {
  const minutes = quick ? 2 : 20;
  const text = SENTENCE.repeat(Math.ceil((minutes * 60 * 15) / SENTENCE.length));
  const dir = await mkdtemp(join(tmpdir(), 'bench-qa-'));
  try {
    const file = join(dir, 'clip.wav');
    await writeFile(file, servedAudio(text, 'wav'));
    const audioS = [...text].length / 15;
    log(`qa: analysing a ${round(audioS / 60, 1)}-minute clip ${REPEATS} times (after a warm-up)`);
    await timed(file, text);
    const runs: Run[] = [];
    for (let i = 0; i < REPEATS; i += 1) runs.push(await timed(file, text));
    const wallX = audioS / median(runs.map((run) => run.wallS));
    const cpuX = audioS / median(runs.map((run) => run.cpuS));
    return {
      figures: {
        'qa.audio_s': round(audioS, 1),
        'qa.wall_s': runs.map((run) => round(run.wallS, 3)),
        'qa.cpu_s': runs.map((run) => round(run.cpuS, 3)),
        'qa.realtime_x_wall': round(wallX, 0),
        'qa.realtime_x_cpu': round(cpuX, 0),
      },
      rows: [
        {
          scenario: 'qa',
          measure: `analyseClip on a ${round(audioS / 60, 1)}-minute 24 kHz WAV (every check, read a MB at a time): audio seconds per CPU second, median of ${REPEATS}`,
          value: `${round(cpuX, 0)}x`,
          goal: `>= ${GOAL_X}x`,
          met: cpuX >= GOAL_X,
        },
        {
          scenario: 'qa',
          measure: 'the same per wall-clock second (one thread; lower when the machine is shared)',
          value: `${round(wallX, 0)}x`,
          goal: '',
          met: undefined,
        },
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
