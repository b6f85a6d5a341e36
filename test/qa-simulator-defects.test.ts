import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { int16Samples } from '../src/audio/clip-pcm.js';
import { simulatorOptionsFromArgs } from '../src/cli/simulator-command.js';
import { analyseClip } from '../src/qa/analyse-clip.js';
import type { ClipQa, QaReason } from '../src/qa/clip-qa.js';
import { GEMINI_PCM } from '../src/segmind/audio.js';
import { DEFECT_KINDS, drawDefect, type DefectKind } from '../src/simulator/defects.js';
import { resolveSimulatorOptions } from '../src/simulator/options.js';
import { startSimulator } from '../src/simulator/server.js';
import { speechPcm } from '../src/simulator/speech-audio.js';

/** The reasons that name each defect for what it is (one of them must be among a clip's reasons). */
const TELLS: Record<DefectKind, readonly QaReason[]> = {
  truncated: ['truncated', 'abrupt_end'],
  silence: ['inner_silence'],
  clipped: ['clipping'],
  empty: ['empty', 'silent'],
  slow: ['too_long'],
};

const CLIPS = 500;

const WORDS = (
  'the river lantern quietly north bread window old promise stone and said walked towards morning ' +
  'her his through garden letter never again whisper station under silver because remembered a of to in'
).split(' ');

/** A seeded sentence of 60-250 characters ending in a full stop, or now and then a heading or a line without one. */
function sentence(index: number): string {
  let state = (index * 2654435761) >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const target = 60 + Math.floor(next() * 190);
  const words: string[] = [];
  while (words.join(' ').length < target) {
    const word = WORDS[Math.floor(next() * WORDS.length)] ?? 'the';
    words.push(next() < 0.08 ? `${word},` : word);
  }
  const text = words.join(' ').replace(/,$/, '');
  const capital = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  // One in ten ends without a full stop, as headings and list items do.
  if (index % 10 === 3) return index % 20 === 3 ? `Chapter ${index}` : capital;
  return `${capital}.`;
}

test('at a 10% defect rate over 500 clips, every defect is caught and at most 1% of clean clips are flagged', async (t) => {
  const { seed, defects } = resolveSimulatorOptions({ seed: 7, defectRate: 0.1 });
  const caught = new Map<DefectKind, { total: number; caught: number }>();
  const flaggedClean: { text: string; qa: ClipQa }[] = [];
  let clean = 0;
  const cleanRatios: number[] = [];
  let cleanInnerS = 0;
  for (let index = 0; index < CLIPS; index += 1) {
    const text = sentence(index);
    const defect = drawDefect(seed, 0.1, defects, `request-${index}`);
    const pcm = int16Samples(speechPcm(text, defect));
    const qa = await analyseClip({ pcm, format: GEMINI_PCM }, text);
    if (defect === undefined) {
      clean += 1;
      cleanRatios.push(qa.measured.duration_ratio ?? 0);
      cleanInnerS = Math.max(cleanInnerS, qa.measured.longest_inner_silence_s);
      if (qa.verdict === 'fail') flaggedClean.push({ text, qa });
      continue;
    }
    const tally = caught.get(defect.kind) ?? { total: 0, caught: 0 };
    tally.total += 1;
    if (qa.reasons.some((reason) => TELLS[defect.kind].includes(reason))) tally.caught += 1;
    else assert.fail(`a ${defect.kind} clip was not told: ${JSON.stringify(qa)}`);
    caught.set(defect.kind, tally);
  }
  const defective = CLIPS - clean;
  t.diagnostic(
    `${defective} defective clips (${DEFECT_KINDS.map((kind) => `${kind} ${caught.get(kind)?.caught ?? 0}/${caught.get(kind)?.total ?? 0}`).join(', ')}), ` +
      `${flaggedClean.length} of ${clean} clean clips flagged`,
  );
  t.diagnostic(
    `clean clips: duration ratio ${Math.min(...cleanRatios)}-${Math.max(...cleanRatios)}, longest inner silence ${cleanInnerS} s`,
  );
  for (const kind of DEFECT_KINDS) assert.ok((caught.get(kind)?.total ?? 0) > 0, `no ${kind} clip was drawn`);
  assert.ok(defective >= 30 && defective <= 75, `${defective} defects at a 10% rate over 500`);
  assert.ok(flaggedClean.length <= clean * 0.01, JSON.stringify(flaggedClean.slice(0, 3)));
});

test('the simulator serves the defect it drew and records it on the ledger submit entry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qa-defects-'));
  const sim = await startSimulator({ port: 0, fixedLatencyS: 0, defectRate: 1, defects: ['clipped'] });
  const clean = await startSimulator({ port: 0, fixedLatencyS: 0 });
  try {
    for (const [server, expected] of [
      [sim, 'clipping'],
      [clean, undefined],
    ] as const) {
      const text = 'The lantern swung in the window, and the old station slept under silver morning light.';
      const headers = { 'x-api-key': 'qa-key', 'content-type': 'application/json' };
      const submitted = (await (
        await fetch(`${server.url}/v2/gemini-2.5-flash-tts`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ text }),
        })
      ).json()) as { response_url: string; request_id: string };
      const result = (await (await fetch(submitted.response_url, { headers })).json()) as { output: string };
      const file = join(dir, `${submitted.request_id}.wav`);
      await writeFile(file, Buffer.from(await (await fetch(result.output)).arrayBuffer()));
      const qa = await analyseClip(file, text);
      const [entry] = server.ledger().submits;
      if (expected === undefined) {
        assert.deepEqual(qa.reasons, []);
        assert.equal(entry !== undefined && 'defect' in entry, false);
      } else {
        assert.ok(qa.reasons.includes(expected), JSON.stringify(qa));
        assert.equal(entry?.defect, 'clipped');
      }
    }
  } finally {
    await sim.close();
    await clean.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('--defect-rate and --defects are parsed, and bad values are refused naming the flag', () => {
  assert.deepEqual(simulatorOptionsFromArgs({ 'defect-rate': '0.1', defects: 'truncated, slow' }), {
    defectRate: 0.1,
    defects: ['truncated', 'slow'],
  });
  assert.throws(() => simulatorOptionsFromArgs({ defects: 'truncated,loud' }), /--defects.*loud/);
  assert.throws(() => simulatorOptionsFromArgs({ 'defect-rate': '2' }), /--defect-rate/);
  assert.throws(() => resolveSimulatorOptions({ defects: [] }), /defects/);
});
