// Contract tests: the client against the simulator over real HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { classifyError } from '../src/segmind/classify.js';
import { makeSegmindClient, type SegmindClient, type SegmindClientOptions } from '../src/segmind/client.js';
import {
  AuthError,
  BadRequestError,
  CreditsError,
  InferenceFailedError,
  ModelRetiredError,
  NotFoundError,
} from '../src/segmind/errors.js';
import type { ModelSlug } from '../src/segmind/models.js';
import { startSimulator, type SimulatorOptions } from '../src/simulator/server.js';
import { servedAudio, speechDurationS } from '../src/simulator/speech-audio.js';

const KEY = 'sk-contract-test-key-7777';
const MODEL: ModelSlug = 'gemini-3.1-flash-tts';
const TEXT = 'Say warmly: the quick brown fox jumps over the lazy dog.';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

type Sim = Awaited<ReturnType<typeof startSimulator>>;

async function withSim(options: Partial<SimulatorOptions>, body: (sim: Sim) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ port: 0, latencyScale: 0.001, apiKey: KEY, ...options });
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

function clientFor(sim: Sim, extra: Partial<SegmindClientOptions> = {}): SegmindClient {
  return makeSegmindClient({
    baseUrl: sim.url,
    apiKey: KEY,
    sleep: (ms, signal) => delay(Math.min(ms, 2), undefined, signal === undefined ? {} : { signal }),
    ...extra,
  });
}

/** Submit, poll status (bounded) until COMPLETED, then fetch the result. */
async function synthesize(client: SegmindClient, text: string) {
  const submitted = await client.submit(MODEL, { text, voice_1: 'Kore', temperature: 0.4 });
  for (let polls = 0; ; polls += 1) {
    assert.ok(polls < 2000, 'the request never completed');
    if ((await client.status(submitted)).state === 'COMPLETED') break;
    await delay(2);
  }
  const result = await client.result(submitted);
  if (result.state !== 'COMPLETED') throw new Error(`result still ${result.state} after COMPLETED status`);
  return { submitted, result };
}

for (const audio of ['wav', 'pcm', 'mp3'] as const) {
  for (const output of ['url', 'object', 'data-uri', 'base64'] as const) {
    test(`full flow: ${audio} audio as ${output} output`, async () => {
      await withSim({ audio, output }, async (sim) => {
        const client = clientFor(sim);
        const { result } = await synthesize(client, TEXT);
        assert.equal(result.metrics.cost, 0.0067);
        assert.ok(result.raw.model_version !== undefined, 'extra keys are kept');
        const dir = await mkdtemp(join(tmpdir(), 'tts-contract-'));
        try {
          const saved = await client.saveAudio(result.output, { dir, name: 'row-1' });
          const onDisk = await readFile(join(dir, saved.file));
          const served = servedAudio(TEXT, audio);
          assert.equal(saved.extension, audio === 'mp3' ? 'mp3' : 'wav');
          assert.equal(saved.file, `row-1.${saved.extension}`);
          if (audio === 'pcm') {
            assert.deepEqual(onDisk.subarray(44), served);
            assert.equal(saved.durationS, speechDurationS(TEXT));
          } else {
            assert.equal(saved.sha256, sha256(served));
            assert.ok(Math.abs(saved.durationS - speechDurationS(TEXT)) < 576 / 24_000);
          }
          assert.equal(saved.sha256, sha256(onDisk));
          assert.equal(saved.bytes, onDisk.length);
          assert.deepEqual(await readdir(dir), [saved.file]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
        const { counts, submits } = sim.ledger();
        assert.equal(submits.length, 1);
        assert.equal(counts.download, output === 'url' || output === 'object' ? 1 : 0);
        assert.equal(counts.download_with_key, 0);
      });
    });
  }
}

test('400: bad parameters fail the row and bill nothing', async () => {
  await withSim({}, async (sim) => {
    const error = await clientFor(sim)
      .submit(MODEL, { text: TEXT, voice_1: 'Nobody' })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof BadRequestError);
    assert.match(error.serverMessage ?? '', /voice_1/);
    assert.equal(classifyError(error).action, 'fail-row');
    assert.equal(sim.ledger().submits.length, 0);
  });
});

test('deferred validation: accepted, then 422 FAILED with the reason', async () => {
  await withSim({ validation: 'deferred' }, async (sim) => {
    const client = clientFor(sim);
    const submitted = await client.submit(MODEL, { text: TEXT, voice_1: 'Nobody' });
    let error: unknown;
    for (let polls = 0; error === undefined && polls < 2000; polls += 1) {
      error = await client.status(submitted).then(
        () => delay(2),
        (caught: unknown) => caught,
      );
    }
    assert.ok(error instanceof InferenceFailedError);
    assert.equal(error.status, 422);
    assert.equal(error.requestId, submitted.requestId);
    assert.match(error.serverMessage ?? '', /voice_1/);
    assert.equal(classifyError(error).action, 'fail-row');
    await assert.rejects(client.result(submitted), InferenceFailedError);
  });
});

test('422: a FAILED inference carries the server error', async () => {
  await withSim({ rateFailed: 1 }, async (sim) => {
    const client = clientFor(sim);
    const submitted = await client.submit(MODEL, { text: TEXT });
    let error: unknown;
    for (let polls = 0; error === undefined && polls < 2000; polls += 1) {
      error = await client.status(submitted).then(
        () => delay(2),
        (caught: unknown) => caught,
      );
    }
    assert.ok(error instanceof InferenceFailedError);
    assert.ok((error.serverMessage ?? '').length > 0);
    assert.equal(classifyError(error).reason, `HTTP 422: ${error.serverMessage}`);
    assert.equal(sim.ledger().counts.failed, 1);
  });
});

test('401: a wrong or missing key stops the run, on submit and on polls', async () => {
  await withSim({}, async (sim) => {
    const good = await clientFor(sim).submit(MODEL, { text: TEXT });
    for (const apiKey of ['sk-wrong-key-0000', undefined]) {
      const client = clientFor(sim, { apiKey });
      const calls: (() => Promise<unknown>)[] = [
        () => client.submit(MODEL, { text: TEXT }),
        () => client.status(good),
      ];
      for (const call of calls) {
        const error: unknown = await call().catch((caught: unknown) => caught);
        assert.ok(error instanceof AuthError && error.status === 401);
        assert.equal(classifyError(error).action, 'stop-run');
      }
    }
  });
});

test('404: unknown model fails the row; unknown id means resubmit', async () => {
  await withSim({}, async (sim) => {
    const client = clientFor(sim);
    const model = 'gemini-9-tts' as ModelSlug;
    const error = await client.submit(model, { text: TEXT }).catch((caught: unknown) => caught);
    assert.ok(error instanceof NotFoundError && error.phase === 'submit');
    assert.equal(classifyError(error).action, 'fail-row');
    const unknown = { requestId: 'no-such-id', statusUrl: `${sim.url}/v2/requests/no-such-id/status` };
    const gone = await client.status(unknown).catch((caught: unknown) => caught);
    assert.ok(gone instanceof NotFoundError && gone.phase === 'status');
    assert.equal(classifyError(gone).action, 'resubmit');
  });
});

test('404: a request past its retention is expired on status and result', async () => {
  let nowMs = Date.parse('2026-11-03T10:00:00Z');
  await withSim({ now: () => nowMs }, async (sim) => {
    const client = clientFor(sim);
    const submitted = await client.submit(MODEL, { text: TEXT });
    nowMs += 3601 * 1000;
    const status = await client.status(submitted).catch((caught: unknown) => caught);
    assert.ok(status instanceof NotFoundError && status.phase === 'status');
    const result = await client.result(submitted).catch((caught: unknown) => caught);
    assert.ok(result instanceof NotFoundError && result.phase === 'result');
    assert.equal(classifyError(result).action, 'resubmit');
    assert.equal(sim.ledger().counts.expired, 2);
  });
});

test('406: insufficient credits, and a wrong content type (plain-text body), stop the run', async () => {
  await withSim({ credits: 0 }, async (sim) => {
    const error = await clientFor(sim)
      .submit(MODEL, { text: TEXT })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof CreditsError && error.serverMessage === 'Insufficient credits');
    assert.equal(classifyError(error).action, 'stop-run');
  });
  await withSim({}, async (sim) => {
    const textPlain: typeof globalThis.fetch = (input, init) =>
      globalThis.fetch(input, {
        ...init,
        headers: { ...Object.fromEntries(new Headers(init?.headers)), 'content-type': 'text/plain' },
      });
    const error = await clientFor(sim, { fetch: textPlain })
      .submit(MODEL, { text: TEXT })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof CreditsError);
    assert.match(error.serverMessage ?? '', /Content-Type/);
  });
});

test('403 and 410 (the simulator cannot produce them): via a stub fetch', async () => {
  for (const [status, type] of [
    [403, AuthError],
    [410, ModelRetiredError],
  ] as const) {
    const fetch: typeof globalThis.fetch = () =>
      Promise.resolve(new Response(JSON.stringify({ error: `status ${status}` }), { status }));
    const error: unknown = await makeSegmindClient({ baseUrl: 'http://127.0.0.1:9', apiKey: KEY, fetch })
      .submit(MODEL, { text: TEXT })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof type);
    assert.equal(classifyError(error).action, 'stop-run');
  }
});

test('result while pending: a pending state (resultWhilePending=status)', async () => {
  const nowMs = Date.parse('2026-11-03T10:00:00Z');
  await withSim({ now: () => nowMs }, async (sim) => {
    const client = clientFor(sim);
    const submitted = await client.submit(MODEL, { text: TEXT });
    assert.deepEqual(await client.result(submitted), { state: 'QUEUED' });
    assert.equal((await client.status(submitted)).state, 'QUEUED');
  });
});
