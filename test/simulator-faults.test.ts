import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../src/errors.js';
import { FAILURE_REASONS } from '../src/simulator/faults.js';
import { medianLatencyS, sampleLatency } from '../src/simulator/latency-model.js';
import { resolveSimulatorOptions } from '../src/simulator/options.js';
import { seededNormal } from '../src/simulator/random.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../src/simulator/server.js';

// Seeded faults, rate limits and the latency model.

const KEY = 'sim-test-key';
const START_MS = Date.UTC(2026, 0, 1);

type Answer = { status: number; headers: Headers; text: string; json: Record<string, unknown> | undefined };
/** An answer, or 'reset' when the connection was dropped without one. */
type Outcome = Answer | 'reset';

async function call(url: string, init: RequestInit = {}): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error instanceof TypeError) return 'reset';
    throw error;
  }
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function answered(outcome: Outcome): Answer {
  assert.notEqual(outcome, 'reset', 'expected an answer');
  return outcome as Answer;
}

function submit(sim: RunningSimulator, text: string, key = KEY): Promise<Outcome> {
  return call(`${sim.url}/v2/gemini-3.1-flash-tts`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

function get(url: string, key = KEY): Promise<Outcome> {
  return call(url, { headers: { 'x-api-key': key } });
}

async function withSim(
  options: Partial<SimulatorOptions>,
  body: (sim: RunningSimulator, clock: { ms: number }) => Promise<void>,
): Promise<void> {
  const clock = { ms: START_MS };
  const sim = await startSimulator({ port: 0, now: () => clock.ms, ...options });
  try {
    await body(sim, clock);
  } finally {
    await sim.close();
  }
}

test('--rate-failed 1: every inference ends FAILED 422 with a plausible reason, unbilled', async () => {
  await withSim({ rateFailed: 1 }, async (sim, clock) => {
    const submitted = answered(await submit(sim, 'Say cheerfully: good morning!'));
    assert.equal(submitted.status, 200);
    clock.ms += 3_600_000;
    const status = answered(await get(String(submitted.json?.status_url)));
    assert.equal(status.status, 422);
    assert.equal(status.json?.status, 'FAILED');
    assert.equal(status.json?.request_id, submitted.json?.request_id);
    assert.ok((FAILURE_REASONS as readonly unknown[]).includes(status.json?.error));
    assert.equal(typeof status.json?.metrics, 'object');
    assert.equal(answered(await get(String(submitted.json?.response_url))).status, 422);
    const ledger = sim.ledger();
    assert.equal(ledger.counts.failed, 1);
    assert.equal(ledger.submits.length, 1);
    assert.deepEqual(
      ledger.requests.map((request) => [request.outcome, request.cost, request.first_seen_completed_at]),
      [['FAILED', 0, clock.ms]],
    );
  });
});

test('--rate-429 1: submit, status and result answer 429 with x-rate-limit-reset-at-utc', async () => {
  await withSim({ rate429: 1 }, async (sim, clock) => {
    const answers = [
      answered(await submit(sim, 'hello')),
      answered(await get(`${sim.url}/v2/requests/some-id/status`)),
      answered(await get(`${sim.url}/v2/requests/some-id`)),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 429);
      assert.deepEqual(answer.json, { error: 'Rate limit exceeded' });
      const resetAt = answer.headers.get('x-rate-limit-reset-at-utc') ?? '';
      assert.match(resetAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Date.parse(resetAt) > clock.ms);
    }
    assert.equal(sim.ledger().counts.r429, 3);
    assert.equal(sim.ledger().submits.length, 0);
  });
});

test('--rpm: a sliding minute per key, 429 with the time the window frees up', async () => {
  await withSim({ rpm: 3 }, async (sim, clock) => {
    const first = answered(await submit(sim, 'one'));
    clock.ms += 10_000;
    assert.equal(answered(await get(String(first.json?.status_url))).status, 200, 'status calls count too');
    assert.equal(answered(await submit(sim, 'two')).status, 200);
    const limited = answered(await submit(sim, 'three'));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('x-rate-limit-reset-at-utc'), new Date(START_MS + 60_000).toISOString());
    assert.equal(answered(await submit(sim, 'other key', 'another-key')).status, 200, 'per API key');
    clock.ms = START_MS + 60_000;
    assert.equal(answered(await submit(sim, 'three')).status, 200, 'the first call has left the window');
    assert.equal(sim.ledger().counts.r429, 1);
  });
  await withSim({ rpm: 1, rpmCounts: 'submits' }, async (sim) => {
    const first = answered(await submit(sim, 'one'));
    for (let i = 0; i < 5; i += 1)
      assert.equal(answered(await get(String(first.json?.status_url))).status, 200);
    assert.equal(answered(await submit(sim, 'two')).status, 429);
  });
});

test('--rate-5xx 1: 500, 502, 503 or 504; the gateway ones in HTML', async () => {
  await withSim({ rate5xx: 1 }, async (sim) => {
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i += 1) {
      const answer = answered(await submit(sim, `text ${i}`));
      assert.ok([500, 502, 503, 504].includes(answer.status), String(answer.status));
      if (answer.status === 502 || answer.status === 504) assert.match(answer.text, /<html>/);
      else assert.equal(typeof answer.json?.error, 'string');
      statuses.add(answer.status);
    }
    assert.equal(statuses.size, 4, 'all four appear');
    assert.equal(sim.ledger().counts.r5xx, 40);
    assert.equal(sim.ledger().submits.length, 0);
  });
});

test('--rate-reset 1: the connection drops; billed only with --reset-phase after', async () => {
  for (const phase of ['before', 'after'] as const) {
    await withSim({ rateReset: 1, resetPhase: phase }, async (sim) => {
      assert.equal(await submit(sim, 'dropped'), 'reset');
      assert.equal(await get(`${sim.url}/v2/requests/x/status`), 'reset');
      const ledger = sim.ledger();
      assert.equal(ledger.counts.reset, 2);
      assert.equal(ledger.submits.length, phase === 'after' ? 1 : 0, phase);
      assert.equal(ledger.requests.length, phase === 'after' ? 1 : 0, phase);
    });
  }
});

const FAULTY = { rate429: 0.2, rate5xx: 0.2, rateReset: 0.1, rateFailed: 0.3 } as const;

/** Submits each text until accepted, then polls it three times; a transcript of what happened. */
async function transcript(sim: RunningSimulator, clock: { ms: number }, texts: readonly string[]) {
  const lines = new Map<string, string[]>();
  await Promise.all(
    texts.map(async (text) => {
      const line: string[] = [];
      lines.set(text, line);
      let statusUrl: string | undefined;
      for (let attempt = 0; attempt < 50 && statusUrl === undefined; attempt += 1) {
        const outcome = await submit(sim, text);
        line.push(outcome === 'reset' ? 'reset' : String(outcome.status));
        if (outcome !== 'reset' && outcome.status === 200) {
          line.push(String(outcome.json?.request_id));
          statusUrl = String(outcome.json?.status_url);
        }
      }
      for (let poll = 0; poll < 3 && statusUrl !== undefined; poll += 1) {
        const outcome = await get(statusUrl);
        line.push(outcome === 'reset' ? 'reset' : `${outcome.status}:${String(outcome.json?.status)}`);
      }
    }),
  );
  return texts.map((text) => `${text} => ${(lines.get(text) ?? []).join(' ')}`);
}

test('a seed replays faults and request ids exactly, whatever the order of calls', async () => {
  const texts = Array.from({ length: 12 }, (_, i) => `Line ${i}: the quick brown fox.`);
  const runs: string[][] = [];
  for (const [seed, order] of [
    [5, texts],
    [5, [...texts].reverse()],
    [6, texts],
  ] as const) {
    await withSim({ ...FAULTY, seed, fixedLatencyS: 0 }, async (sim, clock) => {
      const lines = await transcript(sim, clock, order);
      runs.push(texts.map((text) => lines.find((line) => line.startsWith(`${text} =>`)) ?? ''));
    });
  }
  const [first, reversed, otherSeed] = runs;
  assert.deepEqual(reversed, first, 'same seed, calls in another order: same story per text');
  assert.notDeepEqual(otherSeed, first, 'another seed: another story');
  const joined = (first ?? []).join('\n');
  for (const expected of ['429', ':FAILED'])
    assert.ok(joined.includes(expected), `${expected} in\n${joined}`);
});

test('latency model: 200 characters take ~8 s on 3.1 and ~18 s on 2.5 (median of samples)', () => {
  const settings = { latencyScale: 1, latencySigma: 0.35, fixedLatencyS: undefined };
  for (const [model, expectedS] of [
    ['gemini-3.1-flash-tts', 8],
    ['gemini-2.5-flash-tts', 18],
  ] as const) {
    assert.equal(medianLatencyS(model, 200), expectedS);
    const totals = Array.from({ length: 4001 }, (_, i) => {
      const latency = sampleLatency(model, 200, settings, [seededNormal(1, 'q', i), seededNormal(1, 'i', i)]);
      return (latency.queueMs + latency.inferenceMs) / 1000;
    }).sort((a, b) => a - b);
    const median = totals[2000] ?? Number.NaN;
    assert.ok(Math.abs(median - expectedS) / expectedS < 0.08, `${model}: median ${median} s`);
    const p90 = totals[3600] ?? Number.NaN;
    assert.ok(p90 > median * 1.2, `${model}: spread, p90 ${p90} s`);
    // Longer texts take longer.
    assert.ok(medianLatencyS(model, 1000) > medianLatencyS(model, 200) * 2);
  }
  const exact = sampleLatency('gemini-3.1-flash-tts', 200, { ...settings, latencySigma: 0 }, [2, -2]);
  assert.equal((exact.queueMs + exact.inferenceMs) / 1000, 8, 'sigma 0: no noise');
  const scaled = sampleLatency(
    'gemini-3.1-flash-tts',
    200,
    { ...settings, latencyScale: 0.01, latencySigma: 0 },
    [0, 0],
  );
  assert.ok(Math.abs(scaled.queueMs + scaled.inferenceMs - 80) < 1e-9);
});

test('options are checked, naming the option and the value', () => {
  const refuses = (options: Partial<SimulatorOptions>, pattern: RegExp) =>
    assert.throws(
      () => resolveSimulatorOptions(options),
      (error: unknown) => error instanceof UsageError && pattern.test(error.message),
    );
  refuses({ rate429: 2 }, /`rate429` to be a probability in \[0, 1\], got `2`/);
  refuses({ port: -1 }, /`port`/);
  refuses({ rpm: 0 }, /`rpm`/);
  refuses({ audio: 'ogg' as 'wav' }, /`audio`.*`ogg`/);
  assert.equal(resolveSimulatorOptions().retentionS, 3600);
});
