import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Job } from 'bullmq';
import { rowJobId, runKeys } from '../src/queue/keys.js';
import type { RowJobData } from '../src/queue/row-job.js';
import { decodeRunMeta } from '../src/queue/run-meta.js';
import { startSimulator } from '../src/simulator/server.js';
import { makeSandbox, type Sandbox } from './fixtures/scripts/enqueue-harness.js';
import { finishedManifest, until } from './helpers/processes.js';
import { startTestWorker } from './helpers/worker.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './helpers/redis.js';

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis.stop();
});

async function withSandbox(body: (sandbox: Sandbox) => Promise<void>, env: Record<string, string> = {}) {
  const sandbox = await makeSandbox(redis.url, uniquePrefix('run'), env);
  try {
    await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

async function jobsByRowId(sandbox: Sandbox): Promise<Map<string, Job<RowJobData>>> {
  const jobs = (await sandbox.queue().getJobs(['waiting', 'delayed', 'prioritized'])) as Job<RowJobData>[];
  return new Map(jobs.map((job) => [job.data.id, job]));
}

function rowsCsv(
  count: number,
  edit: (i: number) => string = (i) => `Sentence number ${i}, read aloud.`,
): string {
  const lines = Array.from(
    { length: count },
    (_, i) => `row-${i},"${edit(i)}",Kore,chapter ${Math.floor(i / 100)}`,
  );
  return `id,text,voice_1,chapter\n${lines.join('\n')}\n`;
}

test('valid CSV edge cases: quoted commas and newlines, BOM, CRLF, emoji, RTL, metadata, default ids', async () => {
  await withSandbox(async (sandbox) => {
    const csv =
      '\uFEFFtext,voice_2,temperature,chapter,title\r\n' +
      '"Hello, world, with commas",,,1,Intro\r\n' +
      '"Ana: Two lines,\r\nBen: of ""dialogue"".",Puck,1.2,1,Talk\r\n' +
      '\r\n' +
      'Emoji 🎧 and café,,0,2,\r\n' +
      '  مرحبا بالعالم  ,,,2,RTL\r\n' +
      '"Say warmly: [whispers] goodnight",,,3,End\r\n' +
      'six,,,3,\r\n' +
      'seven,,,3,\r\n' +
      'eight,,,3,\r\n' +
      'nine,,,3,\r\n' +
      'ten,,,3,\r\n';
    await sandbox.write('Chapter 1 (draft).csv', csv);
    const result = await sandbox.enqueue('Chapter 1 (draft).csv');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^run: Chapter-1-draft-$/m);
    assert.match(result.stdout, /rows: new 10, unchanged 0, skipped 0/);
    const jobs = await jobsByRowId(sandbox);
    assert.deepEqual([...jobs.keys()].sort(), ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10']);
    const dialogue = jobs.get('02')?.data;
    assert.equal(dialogue?.request.text, 'Ana: Two lines,\r\nBen: of "dialogue".');
    assert.equal(dialogue?.request.voice_2, 'Puck');
    assert.equal(dialogue?.request.voice_1, 'Kore');
    assert.equal(dialogue?.request.temperature, 1.2);
    assert.equal(dialogue?.line, 3);
    assert.deepEqual(dialogue?.meta, { chapter: '1', title: 'Talk' });
    assert.equal(jobs.get('01')?.data.request.text, 'Hello, world, with commas');
    assert.equal(jobs.get('03')?.data.line, 6);
    assert.equal(jobs.get('03')?.data.request.text, 'Emoji 🎧 and café');
    assert.equal(jobs.get('03')?.data.request.temperature, 0);
    assert.equal(jobs.get('04')?.data.request.text, 'مرحبا بالعالم');
    assert.equal(jobs.get('05')?.data.seq, 4);
    const first = jobs.get('01');
    assert.equal(first?.data.request.model, 'gemini-3.1-flash-tts');
    assert.equal(first?.data.request.temperature, 0.4);
    assert.equal(first?.data.outDir, join(sandbox.dir, 'out', 'Chapter-1-draft-'));
    assert.match(first?.data.contentHash ?? '', /^[0-9a-f]{16}$/);
    assert.equal(first?.id, rowJobId('Chapter-1-draft-', '01', first?.data.contentHash ?? ''));
    assert.equal(first?.opts.attempts, 5);
    const keys = runKeys(sandbox.prefix, 'Chapter-1-draft-');
    const meta = decodeRunMeta(await sandbox.redis().hgetall(keys.meta));
    assert.equal(meta?.rows, 10);
    assert.equal(meta?.scheduledAt, 0);
    assert.equal(await sandbox.redis().hlen(keys.rows), 10);
    assert.equal(
      await sandbox.redis().zscore(`${sandbox.prefix}:runs`, 'Chapter-1-draft-'),
      String(meta?.createdAt),
    );
  });
});

test('JSONL and NDJSON: numbers, booleans, blank lines, flags and settings as defaults', async () => {
  await withSandbox(
    async (sandbox) => {
      const jsonl =
        '{"id":"a","text":"First","temperature":1,"page":12,"draft":true}\n\n' +
        '{"id":7,"text":"Second","voice_1":"Leda","model":"gemini-2.5-flash-tts","note":null}\r\n' +
        '   \n{"text":"Third","voice_1":"Puck","voice_2":"Charon"}';
      await sandbox.write('lesson.jsonl', jsonl);
      await sandbox.write('lesson2.ndjson', '{"text":"Only"}\n');
      const result = await sandbox.enqueue('lesson.jsonl', '--voice', 'Fenrir', '--run', 'lesson-1');
      assert.equal(result.code, 0, result.stderr);
      const jobs = await jobsByRowId(sandbox);
      assert.deepEqual([...jobs.keys()].sort(), ['3', '7', 'a']);
      assert.deepEqual(jobs.get('a')?.data.meta, { page: '12', draft: 'true' });
      assert.equal(jobs.get('a')?.data.request.voice_1, 'Fenrir');
      assert.equal(jobs.get('a')?.data.request.temperature, 1);
      assert.equal(jobs.get('a')?.data.request.model, 'gemini-3.1-flash-tts');
      assert.equal(jobs.get('7')?.data.line, 3);
      assert.deepEqual(jobs.get('7')?.data.meta, {});
      assert.equal(jobs.get('7')?.data.request.model, 'gemini-2.5-flash-tts');
      assert.equal(jobs.get('3')?.data.line, 5);
      assert.equal(jobs.get('3')?.data.request.voice_2, 'Charon');
      assert.equal(jobs.get('3')?.data.request.temperature, 0.9);
      const second = await sandbox.enqueue('lesson2.ndjson');
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /run: lesson2\n/);
    },
    { TTS_TEMPERATURE: '0.9', TTS_VOICE: 'Zephyr' },
  );
});

test('an undocumented voice for gemini-3.1-flash-tts is accepted with a warning', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('v.csv', 'text,voice_1\none,Leda\ntwo,Leda\nthree,Kore\n');
    const result = await sandbox.enqueue('v.csv');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^warning: v\.csv:2: voice: `Leda` is not among the voices .* \(2 rows\)/m);
    assert.match(result.stdout, /new 3/);
  });
});

test('enqueueing the same script again adds nothing', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('same.csv', rowsCsv(50));
    assert.equal((await sandbox.enqueue('same.csv')).code, 0);
    const again = await sandbox.enqueue('same.csv');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /rows: new 0, unchanged 50, skipped 0\n/);
    assert.equal(await sandbox.queue().count(), 50);
  });
});

test('editing 3 rows of a 2,000-row script queues exactly those 3', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('long.csv', rowsCsv(2000));
    const first = await sandbox.enqueue('long.csv');
    assert.match(first.stdout, /new 2000, unchanged 0/);
    const before = await jobsByRowId(sandbox);
    const edited = new Set([5, 1000, 1999]);
    await sandbox.write(
      'long.csv',
      rowsCsv(2000, (i) => (edited.has(i) ? `Edited sentence ${i}.` : `Sentence number ${i}, read aloud.`)),
    );
    const second = await sandbox.enqueue('long.csv');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /rows: new 3, unchanged 1997, skipped 0\n/);
    const afterJobs = await jobsByRowId(sandbox);
    assert.equal(afterJobs.size, 2000);
    for (const i of edited) {
      const id = `row-${i}`;
      assert.notEqual(afterJobs.get(id)?.id, before.get(id)?.id);
      assert.equal(afterJobs.get(id)?.data.request.text, `Edited sentence ${i}.`);
      assert.equal(await sandbox.queue().getJob(before.get(id)?.id ?? ''), undefined);
    }
    const keys = runKeys(sandbox.prefix, 'long');
    assert.equal(await sandbox.redis().hget(keys.rows, 'row-5'), afterJobs.get('row-5')?.data.contentHash);
  });
});

test('completed audio on disk is skipped; missing audio, a lost job and a dropped row are handled', async () => {
  const sim = await startSimulator({ port: 0, latencyScale: 0.002, seed: 5 });
  const workerEnv = { SEGMIND_BASE_URL: sim.url, SEGMIND_API_KEY: 'sk-runs', SEGMIND_RPM: '100000' };
  try {
    await withSandbox(async (sandbox) => {
      const outDir = join(sandbox.dir, 'out', 's');
      const keys = runKeys(sandbox.prefix, 's');
      // `done` and `gone` made by a worker, then three more rows enqueued while no worker runs.
      await sandbox.write('s.csv', 'id,text\ndone,Finished row\ngone,Audio deleted\n');
      assert.equal((await sandbox.enqueue('s.csv')).code, 0);
      const { rowWorker } = startTestWorker({ env: { ...sandbox.env, ...workerEnv } });
      try {
        await until(() => finishedManifest(outDir, 2) !== undefined, 'done and gone made');
      } finally {
        await rowWorker.stop();
      }
      const all = 'id,text\ndone,Finished row\ngone,Audio deleted\nlost,Job lost\nkeep,Waiting row\n';
      await sandbox.write('s.csv', `${all}drop,Dropped later\n`);
      const grown = await sandbox.enqueue('s.csv');
      assert.match(grown.stdout, /rows: new 3, unchanged 0, skipped 2\n/);
      const jobs = await jobsByRowId(sandbox);

      await rm(join(outDir, 'gone.wav'));
      await jobs.get('lost')?.remove();
      await sandbox.write('s.csv', all);
      const result = await sandbox.enqueue('s.csv');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /rows: new 2, unchanged 1, skipped 1, removed 1\n/);
      const now = await jobsByRowId(sandbox);
      assert.deepEqual([...now.keys()].sort(), ['gone', 'keep', 'lost']);
      assert.equal(await sandbox.redis().hexists(keys.outcomes, 'gone'), 0);
      assert.equal(await sandbox.redis().hexists(keys.outcomes, 'done'), 1);
      assert.equal(await sandbox.redis().hexists(keys.rows, 'drop'), 0);
      assert.equal(await sandbox.queue().getJob(jobs.get('drop')?.id ?? ''), undefined);
      assert.equal(decodeRunMeta(await sandbox.redis().hgetall(keys.meta))?.rows, 4);
      assert.equal(sim.ledger().submits.length, 2, 'nothing made twice');
    }, workerEnv);
  } finally {
    await sim.close();
  }
});

test('--skip-invalid enqueues the valid rows and lists the rest', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('mixed.csv', 'id,text,voice_1\na,Good,\nb,,\nc,Also good,Bob\nd,Fine,Puck\n');
    const refused = await sandbox.enqueue('mixed.csv');
    assert.equal(refused.code, 2);
    assert.deepEqual(await sandbox.keys(), []);
    const result = await sandbox.enqueue('mixed.csv', '--skip-invalid');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^mixed\.csv:3: text: is empty/m);
    assert.match(result.stderr, /^mixed\.csv:4: voice_1: unknown voice `Bob`/m);
    assert.match(result.stderr, /skipping 2 invalid rows/);
    assert.match(result.stdout, /rows: new 2, unchanged 0, skipped 0, invalid 2\n/);
    assert.deepEqual([...(await jobsByRowId(sandbox)).keys()].sort(), ['a', 'd']);
  });
});

test('--at holds every job until then and stores the schedule', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('night.csv', rowsCsv(5));
    const at = new Date(Date.now() + 6 * 3600 * 1000);
    const result = await sandbox.enqueue('night.csv', '--at', at.toISOString());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^scheduled: /m);
    const counts = await sandbox.queue().getJobCounts('delayed', 'waiting');
    assert.deepEqual(counts, { delayed: 5, waiting: 0 });
    const meta = decodeRunMeta(await sandbox.redis().hgetall(runKeys(sandbox.prefix, 'night').meta));
    assert.equal(meta?.scheduledAt, at.getTime());
    const [job] = await sandbox.queue().getDelayed();
    assert.ok(job && job.timestamp + (job.opts.delay ?? 0) >= at.getTime() - 1000);

    await sandbox.write('clock.csv', rowsCsv(2));
    const clock = await sandbox.enqueue('clock.csv', '--at', '03:30');
    assert.equal(clock.code, 0, clock.stderr);
    const clockMeta = decodeRunMeta(await sandbox.redis().hgetall(runKeys(sandbox.prefix, 'clock').meta));
    const scheduled = new Date(clockMeta?.scheduledAt ?? 0);
    assert.equal(`${scheduled.getHours()}:${scheduled.getMinutes()}`, '3:30');
    assert.ok(scheduled.getTime() > Date.now());
  });
});

test('a new --at on re-enqueue moves the jobs already queued; none starts them now', async () => {
  await withSandbox(async (sandbox) => {
    await sandbox.write('shift.csv', rowsCsv(4));
    const first = await sandbox.enqueue('shift.csv');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(await sandbox.queue().getJobCounts('delayed', 'waiting'), { delayed: 0, waiting: 4 });
    const before = await jobsByRowId(sandbox);

    const at = new Date(Date.now() + 5 * 3600 * 1000);
    const held = await sandbox.enqueue('shift.csv', '--at', at.toISOString());
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /rows: new 0, unchanged 4, skipped 0\n/);
    assert.match(held.stdout, /^rescheduled: 4 jobs already queued now wait until then$/m);
    assert.deepEqual(await sandbox.queue().getJobCounts('delayed', 'waiting'), { delayed: 4, waiting: 0 });
    for (const job of (await sandbox.queue().getDelayed()) as Job<RowJobData>[]) {
      assert.ok(job.timestamp + (job.opts.delay ?? 0) >= at.getTime() - 1000, `${job.id} waits until --at`);
      const original = before.get(job.data.id);
      assert.equal(job.id, original?.id, 'same job id');
      assert.deepEqual(job.data, original?.data, 'same payload');
    }

    const now = await sandbox.enqueue('shift.csv');
    assert.equal(now.code, 0, now.stderr);
    assert.match(now.stdout, /^rescheduled: 4 jobs already queued start now$/m);
    assert.deepEqual(await sandbox.queue().getJobCounts('delayed', 'waiting'), { delayed: 0, waiting: 4 });
    const meta = decodeRunMeta(await sandbox.redis().hgetall(runKeys(sandbox.prefix, 'shift').meta));
    assert.equal(meta?.scheduledAt, 0);

    const again = await sandbox.enqueue('shift.csv');
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /rescheduled/);
  });
});

test('--dry-run prints the estimate and writes nothing, even without Redis', async () => {
  await withSandbox(
    async (sandbox) => {
      await sandbox.write('plan.csv', rowsCsv(100));
      const result = await sandbox.enqueue('plan.csv', '--dry-run');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /rows: +100\n/);
      assert.match(result.stdout, /characters: +3,090\n/);
      assert.match(result.stdout, /API calls: +~350 /);
      assert.match(result.stdout, /estimated cost: +\$0\.6700 .*Segmind model pages/);
      assert.match(
        result.stdout,
        /estimated time: +~7 min \(rate limit 50 req\/min: 7 min; .* 10 rows in flight .*: 2 min\)/,
      );
    },
    { REDIS_URL: 'redis://127.0.0.1:1', TTS_CONCURRENCY: '10' },
  );
  await withSandbox(async (sandbox) => {
    await sandbox.write('plan.csv', rowsCsv(3));
    assert.equal((await sandbox.enqueue('plan.csv', '--dry-run')).code, 0);
    assert.deepEqual(await sandbox.keys(), []);
  });
});
