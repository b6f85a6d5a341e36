// Contract tests with the simulator's seeded faults: retries, rate limits, resets, replay.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { classifyError } from '../src/segmind/classify.js';
import { makeSegmindClient, type CallKind, type SegmindClient } from '../src/segmind/client.js';
import { AmbiguousSubmitError, RateLimitedError, ServerError } from '../src/segmind/errors.js';
import type { ModelSlug } from '../src/segmind/models.js';
import { startSimulator, type SimulatorOptions } from '../src/simulator/server.js';

const KEY = 'sk-contract-faults-key-8888';
const MODEL: ModelSlug = 'gemini-3.1-flash-tts';

type Sim = Awaited<ReturnType<typeof startSimulator>>;
type Recorded = {
  client: SegmindClient;
  budget: CallKind[];
  rateLimitedWaitsMs: number[];
  outcomes: string[];
};

async function withSim(options: Partial<SimulatorOptions>, body: (sim: Sim) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ port: 0, latencyScale: 0.001, apiKey: KEY, ...options });
  try {
    await body(sim);
  } finally {
    await sim.close();
  }
}

function recordingClient(sim: Sim, maxRetries = 6): Recorded {
  const recorded: Omit<Recorded, 'client'> = { budget: [], rateLimitedWaitsMs: [], outcomes: [] };
  const client = makeSegmindClient({
    baseUrl: sim.url,
    apiKey: KEY,
    retry: { maxRetries },
    sleep: (ms, signal) => delay(Math.min(ms, 2), undefined, signal === undefined ? {} : { signal }),
    beforeRequest: (call) => {
      recorded.budget.push(call);
      return Promise.resolve();
    },
    onRateLimited: (waitMs) => {
      recorded.rateLimitedWaitsMs.push(waitMs);
    },
    onCall: (call, outcome) => recorded.outcomes.push(`${call}:${outcome}`),
  });
  return { client, ...recorded };
}

async function synthesize(client: SegmindClient, text: string): Promise<string> {
  const submitted = await client.submit(MODEL, { text });
  for (let polls = 0; polls < 2000; polls += 1) {
    if ((await client.status(submitted)).state === 'COMPLETED') {
      const result = await client.result(submitted);
      assert.equal(result.state, 'COMPLETED');
      if (result.state !== 'COMPLETED') continue;
      const dir = await mkdtemp(join(tmpdir(), 'tts-faults-'));
      try {
        return (await client.saveAudio(result.output, { dir, name: 'row' })).sha256;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    await delay(2);
  }
  throw new Error('the request never completed');
}

function apiCalls(sim: Sim): number {
  const { counts } = sim.ledger();
  return counts.submit + counts.status + counts.result;
}

test('429s and 5xx are retried until the flow completes; beforeRequest precedes every attempt', async () => {
  await withSim({ seed: 11, rate429: 0.3, rate5xx: 0.3 }, async (sim) => {
    const recorded = recordingClient(sim, 10);
    for (const text of ['One fine day.', 'Two fine days.', 'Three fine days.']) {
      await synthesize(recorded.client, text);
    }
    const { counts } = sim.ledger();
    assert.ok(counts.r429 > 0 && counts.r5xx > 0, 'the seed gave faults of both kinds');
    assert.equal(recorded.budget.length, apiCalls(sim));
    assert.equal(recorded.rateLimitedWaitsMs.length, counts.r429);
    assert.equal(sim.ledger().submits.length, 3);
    assert.equal(counts.download_with_key, 0);
  });
});

test('429 on every call: retries exhaust, then backoff-fleet', async () => {
  await withSim({ rate429: 1 }, async (sim) => {
    const recorded = recordingClient(sim, 2);
    const error = await recorded.client.submit(MODEL, { text: 'hello' }).catch((caught: unknown) => caught);
    assert.ok(error instanceof RateLimitedError && error.status === 429);
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs <= 120_000);
    assert.equal(classifyError(error).action, 'backoff-fleet');
    assert.equal(sim.ledger().counts.submit, 3);
    assert.deepEqual(recorded.budget, ['submit', 'submit', 'submit']);
    assert.equal(recorded.rateLimitedWaitsMs.length, 3);
    assert.equal(sim.ledger().submits.length, 0);
  });
});

test('the rpm limit answers 429 with a reset time the client honours (capped)', async () => {
  await withSim({ rpm: 2 }, async (sim) => {
    const recorded = recordingClient(sim, 0);
    await recorded.client.submit(MODEL, { text: 'a' });
    await recorded.client.submit(MODEL, { text: 'b' });
    const error = await recorded.client.submit(MODEL, { text: 'c' }).catch((caught: unknown) => caught);
    assert.ok(error instanceof RateLimitedError);
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0 && error.retryAfterMs <= 60_000);
    assert.deepEqual(recorded.rateLimitedWaitsMs, [error.retryAfterMs]);
  });
});

test('5xx on every call: retries exhaust with a ServerError', async () => {
  await withSim({ rate5xx: 1 }, async (sim) => {
    const recorded = recordingClient(sim, 3);
    const error = await recorded.client.submit(MODEL, { text: 'hello' }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ServerError && [500, 502, 503, 504].includes(error.status ?? 0));
    assert.equal(classifyError(error).action, 'retry');
    assert.equal(sim.ledger().counts.submit, 4);
    assert.equal(sim.ledger().counts.r5xx, 4);
  });
});

for (const resetPhase of ['before', 'after'] as const) {
  test(`a reset submit (${resetPhase}) is ambiguous and never repeated`, async () => {
    await withSim({ rateReset: 1, resetPhase }, async (sim) => {
      const recorded = recordingClient(sim);
      const error = await recorded.client.submit(MODEL, { text: 'hello' }).catch((caught: unknown) => caught);
      assert.ok(error instanceof AmbiguousSubmitError);
      assert.equal(classifyError(error).action, 'ambiguous-submit');
      const ledger = sim.ledger();
      assert.equal(ledger.counts.submit, 1);
      assert.equal(ledger.counts.reset, 1);
      assert.equal(ledger.submits.length, resetPhase === 'after' ? 1 : 0);
    });
  });
}

test('resets on polls are retried; resets on submits surface as ambiguous', async () => {
  await withSim({ seed: 5, rateReset: 0.3 }, async (sim) => {
    const recorded = recordingClient(sim, 10);
    let ambiguous = 0;
    let completed = 0;
    for (let i = 0; completed < 3 && i < 30; i += 1) {
      try {
        await synthesize(recorded.client, `Sentence number ${i}.`);
        completed += 1;
      } catch (error) {
        assert.ok(error instanceof AmbiguousSubmitError, String(error));
        ambiguous += 1;
      }
    }
    assert.equal(completed, 3);
    const { counts } = sim.ledger();
    assert.ok(counts.reset > ambiguous, 'some resets hit polls and were retried');
    assert.equal(counts.submit, completed + ambiguous);
    assert.equal(recorded.budget.length, apiCalls(sim));
  });
});

test('same seed, same faults: a run replays call for call', async () => {
  const run = async (seed: number): Promise<string[]> => {
    let nowMs = Date.parse('2026-11-03T10:00:00Z');
    const trace: string[] = [];
    await withSim({ seed, now: () => nowMs, rate429: 0.25, rate5xx: 0.25, rateFailed: 0.3 }, async (sim) => {
      const recorded = recordingClient(sim, 10);
      for (const text of ['Alpha.', 'Bravo.', 'Charlie.', 'Delta.', 'Echo.']) {
        const outcome = await recorded.client
          .submit(MODEL, { text })
          .then(async (submitted) => {
            nowMs += 60_000;
            const status = await recorded.client.status(submitted);
            const result = await recorded.client.result(submitted);
            return `${submitted.requestId} ${status.state} ${result.state}`;
          })
          .catch((error: unknown) => classifyError(error).reason);
        trace.push(outcome);
      }
      trace.push(...recorded.outcomes);
    });
    return trace;
  };
  const first = await run(42);
  assert.deepEqual(await run(42), first);
  assert.ok(
    first.some((line) => /:(429|5\d\d|422)$/.test(line)),
    'the seed gave faults',
  );
  assert.notDeepEqual(await run(43), first);
});
