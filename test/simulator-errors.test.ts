import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../src/simulator/server.js';

// Every error row of segmind-v2.md, as the simulator answers it.

const KEY = 'sim-test-key';
const START_MS = Date.UTC(2026, 0, 1);

type Answer = { status: number; headers: Headers; text: string; json: Record<string, unknown> | undefined };

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function post(
  sim: RunningSimulator,
  body: string,
  slug = 'gemini-3.1-flash-tts',
  headers: Record<string, string> = { 'x-api-key': KEY, 'content-type': 'application/json' },
): Promise<Answer> {
  return call(`${sim.url}/v2/${slug}`, { method: 'POST', headers, body });
}

function get(url: string, headers: Record<string, string> = { 'x-api-key': KEY }): Promise<Answer> {
  return call(url, { headers });
}

/** A simulator on a hand-driven clock, closed after `body`. */
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

const BAD_BODIES: readonly [string, unknown, RegExp][] = [
  ['missing text', { voice_1: 'Kore' }, /text/],
  ['empty text', { text: '' }, /text/],
  ['blank text', { text: '   ' }, /text/],
  ['text not a string', { text: 42 }, /text/],
  ['temperature too high', { text: 'hi', temperature: 2.5 }, /temperature/],
  ['temperature negative', { text: 'hi', temperature: -0.1 }, /temperature/],
  ['temperature not a number', { text: 'hi', temperature: 'warm' }, /temperature/],
  ['unknown voice_1', { text: 'hi', voice_1: 'Bob' }, /voice_1/],
  ['unknown voice_2', { text: 'hi', voice_1: 'Kore', voice_2: 'Alice' }, /voice_2/],
];

test('bad parameters answer 400 {error} at submit and bill nothing', async () => {
  await withSim({}, async (sim) => {
    for (const [label, body, message] of BAD_BODIES) {
      const answer = await post(sim, JSON.stringify(body));
      assert.equal(answer.status, 400, label);
      assert.match(String(answer.json?.error), message, label);
    }
    assert.equal((await post(sim, '{"text": "unterminated')).status, 400, 'invalid JSON');
    assert.equal((await post(sim, '["a list"]')).status, 400, 'not an object');
    assert.equal(sim.ledger().submits.length, 0);
  });
});

test('with --validation deferred, bad parameters are accepted and then FAILED 422, not billed', async () => {
  await withSim({ validation: 'deferred' }, async (sim, clock) => {
    const urls: [string, RegExp][] = [];
    for (const [label, body, message] of BAD_BODIES) {
      const answer = await post(sim, JSON.stringify(body));
      assert.equal(answer.status, 200, label);
      urls.push([String(answer.json?.status_url), message]);
    }
    assert.equal((await post(sim, 'not json')).status, 400, 'an unreadable body is still refused');
    clock.ms += 3_600_000 - 1;
    for (const [url, message] of urls) {
      const status = await get(url);
      assert.equal(status.status, 422);
      assert.equal(status.json?.status, 'FAILED');
      assert.match(String(status.json?.error), message);
      const result = await get(url.replace(/\/status$/, ''));
      assert.equal(result.status, 422);
      assert.equal(result.json?.status, 'FAILED');
    }
    const ledger = sim.ledger();
    assert.equal(ledger.submits.length, BAD_BODIES.length, 'each accepted submit is in the ledger');
    assert.equal(ledger.counts.failed, BAD_BODIES.length);
    assert.ok(ledger.requests.every((request) => request.outcome === 'FAILED' && request.cost === 0));
    assert.equal(new Set(ledger.submits.map((submit) => submit.request_id)).size, BAD_BODIES.length);
  });
});

test('voices: 3.1 takes all 30 by default, only its 6 documented ones with --strict-voices', async () => {
  const body = JSON.stringify({ text: 'hi', voice_1: 'Leda' });
  await withSim({}, async (sim) => {
    assert.equal((await post(sim, body)).status, 200);
  });
  await withSim({ strictVoices: true }, async (sim) => {
    assert.equal((await post(sim, body)).status, 400);
    assert.equal((await post(sim, JSON.stringify({ text: 'hi', voice_1: 'Charon' }))).status, 200);
    assert.equal((await post(sim, body, 'gemini-2.5-flash-tts')).status, 200);
  });
});

test('401 for a wrong key, a missing key and a bearer token alone', async () => {
  await withSim({ apiKey: KEY }, async (sim) => {
    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ text: 'hi' });
    assert.equal((await post(sim, body, undefined, { ...json, 'x-api-key': 'nope' })).status, 401);
    assert.equal((await post(sim, body, undefined, json)).status, 401);
    const bearer = await post(sim, body, undefined, { ...json, authorization: `Bearer ${KEY}` });
    assert.equal(bearer.status, 401);
    assert.equal(typeof bearer.json?.error, 'string');
    const ok = await post(sim, body);
    assert.equal(ok.status, 200);
    const statusUrl = String(ok.json?.status_url);
    assert.equal((await get(statusUrl, { 'x-api-key': 'nope' })).status, 401);
    assert.equal((await get(statusUrl, {})).status, 401);
    assert.equal((await get(statusUrl.replace(/\/status$/, ''), {})).status, 401);
    assert.equal(sim.ledger().counts.unauthorized, 6);
    assert.equal(sim.ledger().submits.length, 1);
  });
  await withSim({}, async (sim) => {
    const body = JSON.stringify({ text: 'hi' });
    assert.equal((await post(sim, body, undefined, { 'content-type': 'application/json' })).status, 401);
    const bearer = { 'content-type': 'application/json', authorization: 'Bearer x' };
    assert.equal((await post(sim, body, undefined, bearer)).status, 401, 'bearer alone, no --api-key');
    const anyKey = { 'content-type': 'application/json', 'x-api-key': 'whatever' };
    assert.equal((await post(sim, body, undefined, anyKey)).status, 200, 'any key without --api-key');
  });
});

test('404 for an unknown model, an unknown request, and a request past the retention', async () => {
  await withSim({ retentionS: 2 }, async (sim, clock) => {
    const unknownModel = await post(sim, JSON.stringify({ text: 'hi' }), 'gemini-9-ultra-tts');
    assert.equal(unknownModel.status, 404);
    assert.equal(typeof unknownModel.json?.error, 'string');

    const id = '00000000-0000-4000-8000-000000000000';
    for (const url of [`${sim.url}/v2/requests/${id}/status`, `${sim.url}/v2/requests/${id}`]) {
      const answer = await get(url);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.json, { error: `Request ${id} not found` });
    }
    assert.equal(sim.ledger().counts.expired, 0, 'unknown is not expired');

    const submitted = await post(sim, JSON.stringify({ text: 'hi' }));
    const realId = String(submitted.json?.request_id);
    clock.ms += 2000;
    assert.equal((await get(String(submitted.json?.status_url))).status, 200, 'kept for retentionS');
    clock.ms += 1;
    for (const url of [String(submitted.json?.status_url), String(submitted.json?.response_url)]) {
      const answer = await get(url);
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.json, { error: `Request ${realId} not found` });
    }
    assert.equal(sim.ledger().counts.expired, 2);
  });
});

test('405 with an HTML body for a wrong method', async () => {
  await withSim({}, async (sim) => {
    const answers = [
      await get(`${sim.url}/v2/gemini-3.1-flash-tts`),
      await call(`${sim.url}/v2/requests/abc/status`, { method: 'POST', headers: { 'x-api-key': KEY } }),
      await call(`${sim.url}/v2/requests/abc`, { method: 'DELETE', headers: { 'x-api-key': KEY } }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 405);
      assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
      assert.match(answer.text, /<html>/);
      assert.equal(answer.json, undefined);
    }
  });
});

test('406 in plain text for a wrong content type, 406 {error} once credits are spent', async () => {
  await withSim({ credits: 0.0067 * 1.5 }, async (sim, clock) => {
    const wrongType = await post(sim, JSON.stringify({ text: 'hi' }), undefined, {
      'x-api-key': KEY,
      'content-type': 'text/plain',
    });
    assert.equal(wrongType.status, 406);
    assert.match(wrongType.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(wrongType.json, undefined);

    const first = await post(sim, JSON.stringify({ text: 'first' }));
    assert.equal(first.status, 200);
    const completesAt = sim.ledger().requests[0]?.completes_at ?? Number.NaN;
    clock.ms = completesAt;
    const result = await get(String(first.json?.response_url));
    assert.equal((result.json?.metrics as { remaining_credits: number }).remaining_credits, 0.00335);
    const refused = await post(sim, JSON.stringify({ text: 'second' }));
    assert.equal(refused.status, 406);
    assert.deepEqual(refused.json, { error: 'Insufficient credits' });
    assert.equal(sim.ledger().credits_remaining, 0.00335);
    assert.equal(sim.ledger().submits.length, 1);
  });
});

test('downloads need no key, count a key sent to them, and 404 before completion', async () => {
  await withSim({ rate429: 1, rpm: 1 }, async (sim, clock) => {
    // Every API call here would be faulted or rate limited; downloads are neither.
    const missing = await get(`${sim.url}/_sim/files/nope.wav`, {});
    assert.equal(missing.status, 404);
    clock.ms += 1;
    assert.equal((await get(`${sim.url}/_sim/files/nope.wav`, { 'x-api-key': KEY })).status, 404);
    const { counts } = sim.ledger();
    assert.equal(counts.download, 2);
    assert.equal(counts.download_with_key, 1);
    assert.equal(counts.r429, 0);
  });
  await withSim({ rpm: 2 }, async (sim, clock) => {
    const submitted = await post(sim, JSON.stringify({ text: 'hello' }));
    const fileUrl = `${sim.url}/_sim/files/${String(submitted.json?.request_id)}.wav`;
    assert.equal((await get(fileUrl, {})).status, 404, 'not ready yet');
    clock.ms += 3_600_000;
    const result = await get(String(submitted.json?.response_url));
    assert.equal(result.json?.output, fileUrl);
    for (let i = 0; i < 3; i += 1) assert.equal((await get(fileUrl, {})).status, 200, 'downloads skip rpm');
  });
});
