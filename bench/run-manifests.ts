/**
 * The final manifests of a large finished run: `tts-batch report` (writeRunManifests) timed and
 * its peak RSS sampled, at 200,000 rows by default (`--rows N`).
 *
 * Making that many rows through a worker takes too long for a benchmark, so the finished run is
 * made here, for this measurement only: the script is enqueued with the real `tts-batch enqueue`,
 * then each row gets a small audio file, a manifest.jsonl line of the worker's shape and its
 * outcome recorded with recordRowOutcome (the worker's own call). 5% of the rows also have an
 * earlier failed line (an attempt before the one that counts) and 1% end failed, so the index has
 * superseded lines to skip.
 *
 *   node --import tsx bench/run-manifests.ts [--rows 200000] [--rounds 3]
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { contentHash, sha256Hex } from '../src/enqueue/content-hash.js';
import { resolveRowDefaults } from '../src/enqueue/row-defaults.js';
import type { ManifestEntry } from '../src/output/manifest-entry.js';
import { recordRowOutcome } from '../src/queue/run-outcomes.js';
import { readScript } from '../src/script/read-script.js';
import { validateRecord } from '../src/script/validate-row.js';
import { loadSettings } from '../src/settings.js';
import { forEachLine } from '../src/report/jsonl-lines.js';
import { startPrivateRedis } from '../test/helpers/redis.js';
import { log, round, runTimed } from './common.js';
import { writeCsvScript } from './script-file.js';

const RUN = 'bench';
const RECORDS_IN_FLIGHT = 64;

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' } },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);

function entryOf(seq: number, line: number, id: string, hash: string, text: string, audio: Buffer | null) {
  const entry: ManifestEntry = {
    id,
    line,
    seq,
    status: audio ? 'completed' : 'failed',
    file: audio ? `${id}.wav` : null,
    bytes: audio ? audio.length : null,
    duration_s: audio ? 2.5 : null,
    audio_sha256: audio ? createHash('sha256').update(audio).digest('hex') : null,
    text_sha256: sha256Hex(text),
    chars: text.length,
    model: 'gemini-3.1-flash-tts',
    voice_1: 'Kore',
    voice_2: null,
    temperature: 0.4,
    request_id: `req-${seq}`,
    submits: 1,
    attempts: 1,
    inference_time_s: audio ? 3.1 : null,
    cost: audio ? 0.0067 : null,
    error: audio ? null : 'the API answered FAILED',
    finished_at: new Date(1_780_000_000_000 + seq).toISOString(),
    calls: 3,
    resubmit_reasons: [],
    content_hash: hash,
    metadata: { chapter: String(Math.floor(seq / 1000) + 1) },
  };
  return entry;
}

async function makeFinishedRun(
  redisUrl: string,
  prefix: string,
  file: string,
  outDir: string,
): Promise<void> {
  const redis = new Redis(redisUrl);
  const settings = loadSettings({});
  const context = { defaults: resolveRowDefaults({}, settings), maxChars: settings.maxChars };
  await mkdir(outDir, { recursive: true });
  const lines = createWriteStream(join(outDir, 'manifest.jsonl'));
  const pending: Promise<unknown>[] = [];
  for await (const records of readScript(file)) {
    for (const record of records) {
      const result = validateRecord(record, context);
      if (!result.ok || result.row.id === undefined) throw new Error(`bench: invalid row ${record.line}`);
      const { row } = result;
      const id = row.id ?? '';
      const hash = contentHash(row.request);
      const failed = row.seq % 100 === 99;
      const audio = failed ? null : Buffer.from(`RIFF${id.repeat(8)}`);
      if (row.seq % 20 === 3)
        lines.write(`${JSON.stringify(entryOf(row.seq, row.line, id, hash, row.request.text, null))}\n`);
      const entry = entryOf(row.seq, row.line, id, hash, row.request.text, audio);
      const outcome = {
        status: entry.status,
        contentHash: hash,
        file: entry.file,
        bytes: entry.bytes,
        audioSha256: entry.audio_sha256,
        submits: 1,
        error: entry.error,
        retry: failed ? ('resubmit' as const) : null,
      };
      if (!lines.write(`${JSON.stringify(entry)}\n`)) await once(lines, 'drain');
      pending.push(
        (async () => {
          if (audio) await writeFile(join(outDir, `${id}.wav`), audio);
          await recordRowOutcome(
            redis,
            prefix,
            RUN,
            id,
            outcome,
            { audioMs: 2500, costUsd: 0.0067 },
            Date.now(),
          );
        })(),
      );
      if (pending.length >= RECORDS_IN_FLIGHT) await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
  lines.end();
  await once(lines, 'finish');
  redis.disconnect();
}

const root = await mkdtemp(join(tmpdir(), 'tts-bench-manifests-'));
const server = await startPrivateRedis();
try {
  const prefix = 'bm';
  const env = { REDIS_URL: server.url, TTS_QUEUE_PREFIX: prefix, TTS_OUT_DIR: join(root, 'out') };
  const file = join(root, 'script.csv');
  await writeCsvScript(file, rows);
  log(`enqueue ${rows} rows`);
  const enqueued = await runTimed('node', ['bin/tts-batch.js', 'enqueue', file, '--run', RUN], env, 600_000);
  if (enqueued.code !== 0) throw new Error(`bench: enqueue exited ${enqueued.code}: ${enqueued.stderr}`);
  log('make the finished run (files, manifest.jsonl, outcomes)');
  const outDir = join(root, 'out', RUN);
  await makeFinishedRun(server.url, prefix, file, outDir);

  const startup = await runTimed('node', ['bin/tts-batch.js', 'report', '--help'], env, 60_000);
  const measured: { elapsedMs: number; peakRssMb: number }[] = [];
  for (let round_ = 0; round_ < rounds; round_ += 1) {
    const result = await runTimed('node', ['bin/tts-batch.js', 'report', '--run', RUN], env, 600_000);
    if (result.code !== 0) throw new Error(`bench: report exited ${result.code}: ${result.stderr}`);
    log(
      `report: ${(result.elapsedMs / 1000).toFixed(2)} s, peak RSS ${result.peakRssMb.toFixed(0)} MB: ${result.stdout.split('\n')[0] ?? ''}`,
    );
    measured.push(result);
  }
  // One entry per row in script order, checked by streaming (the file passes V8's string limit at 1M rows).
  let seq = 0;
  await forEachLine(join(outDir, 'manifest.json'), (text) => {
    const found = /^ {4}"seq": (\d+),$/.exec(text);
    if (found && Number(found[1]) === seq) seq += 1;
    else if (found) throw new Error(`bench: manifest.json has seq ${found[1]} where ${seq} was due`);
  });
  if (seq !== rows) throw new Error(`bench: manifest.json has ${seq} entries, not ${rows}`);
  const best = Math.min(...measured.map((m) => m.elapsedMs));
  const figures = {
    rows,
    report_s_best: round(best / 1000, 2),
    report_s_all: measured.map((m) => round(m.elapsedMs / 1000, 2)),
    report_peak_rss_mb_max: round(Math.max(...measured.map((m) => m.peakRssMb)), 0),
    startup_s: round(startup.elapsedMs / 1000, 2),
    startup_peak_rss_mb: round(startup.peakRssMb, 0),
    manifest_jsonl_mb: round((await stat(join(outDir, 'manifest.jsonl'))).size / 2 ** 20, 0),
    manifest_json_mb: round((await stat(join(outDir, 'manifest.json'))).size / 2 ** 20, 0),
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
