import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { makeSegmindClient, type CallKind } from '../src/segmind/client.js';
import {
  AmbiguousSubmitError,
  NetworkError,
  RateLimitedError,
  RequestTimeoutError,
} from '../src/segmind/errors.js';
import {
  API_KEY,
  BASE,
  REQUEST,
  connectError,
  json,
  scripted,
  submitOk,
  type Step,
} from './segmind-scripted-fetch.js';

test('submit posts flat JSON with the key to {base}/v2/{slug}', async () => {
  const { client, sent } = scripted([submitOk()]);
  const answer = await client.submit('gemini-3.1-flash-tts', {
    text: 'Hello',
    voice_1: 'Kore',
    temperature: 0.4,
  });
  assert.deepEqual(answer, { status: 'QUEUED', ...REQUEST });
  const [request] = sent;
  assert.equal(request?.url, `${BASE}/v2/gemini-3.1-flash-tts`);
  assert.equal(request?.method, 'POST');
  assert.equal(request?.headers.get('x-api-key'), API_KEY);
  assert.equal(request?.headers.get('content-type'), 'application/json');
  assert.deepEqual(JSON.parse(request?.body ?? ''), { text: 'Hello', voice_1: 'Kore', temperature: 0.4 });
});

test('GETs retry 503 and 429, calling beforeRequest every time; a 429 goes to the fleet hook, not to a sleep', async () => {
  const { client, sleeps, budget, rateLimited } = scripted([
    json(503, { error: 'busy' }),
    json(429, { error: 'slow down' }, { 'retry-after': '3' }),
    json(200, { status: 'PROCESSING', request_id: 'req-1', metrics: {} }),
  ]);
  const answer = await client.status(REQUEST);
  assert.equal(answer.state, 'PROCESSING');
  assert.deepEqual(sleeps, [500], 'the 429 is waited out once, by the fleet hold in beforeRequest');
  assert.deepEqual(budget, ['status', 'status', 'status']);
  assert.deepEqual(rateLimited, [[3000, 'status']], 'the server wait wins');
});

test('without an onRateLimited hook the client sleeps on a 429 itself', async () => {
  const { client, sleeps } = scripted(
    [json(429, { error: 'slow down' }, { 'retry-after': '3' }), json(429, {}), submitOk()],
    { onRateLimited: undefined },
  );
  assert.equal((await client.submit('gemini-3.1-flash-tts', { text: 'x' })).requestId, 'req-1');
  assert.deepEqual(sleeps, [3000, 1000]);
});

test('after maxRetries the last error is thrown', async () => {
  const { client, sent, sleeps } = scripted([json(502, {}), json(503, {}), json(429, { error: 'limit' })], {
    retry: { maxRetries: 2 },
  });
  await assert.rejects(client.result(REQUEST), (error: unknown) => error instanceof RateLimitedError);
  assert.equal(sent.length, 3);
  assert.deepEqual(sleeps, [500, 1000]);
});

test('a GET network error or timeout is retried', async () => {
  const { client, sent } = scripted(
    [
      connectError('ECONNRESET', 'read'),
      'hang',
      json(200, { status: 'COMPLETED', output: 'https://cdn.x/a' }),
    ],
    { requestTimeoutMs: 20 },
  );
  const answer = await client.result(REQUEST);
  assert.equal(answer.state, 'COMPLETED');
  assert.equal(sent.length, 3);
});

test('GETs that never succeed end in NetworkError or RequestTimeoutError', async () => {
  const network = scripted([connectError('ECONNREFUSED', 'connect')], { retry: { maxRetries: 0 } });
  await assert.rejects(
    network.client.status(REQUEST),
    (error: unknown) => error instanceof NetworkError && error.code === 'ECONNREFUSED',
  );
  const timeout = scripted(['hang', 'hang'], { retry: { maxRetries: 1 }, requestTimeoutMs: 10 });
  await assert.rejects(timeout.client.status(REQUEST), RequestTimeoutError);
});

test('a POST is repeated after 429, 5xx and failures before sending', async () => {
  const { client, sent, budget } = scripted([
    json(429, { error: 'limit' }),
    json(500, { error: 'oops' }),
    connectError('ECONNREFUSED', 'connect'),
    connectError('ENOTFOUND', 'getaddrinfo'),
    Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    submitOk(),
  ]);
  assert.equal((await client.submit('gemini-2.5-flash-tts', { text: 'x' })).requestId, 'req-1');
  assert.equal(sent.length, 6);
  assert.deepEqual(budget, Array<CallKind>(6).fill('submit'));
});

test('a POST that may have reached the server is never repeated: AmbiguousSubmitError', async () => {
  const cases: Step[][] = [
    [connectError('ECONNRESET', 'read')],
    [
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
    ],
    ['hang'],
    [new Response('{"request_id": "trunc', { status: 200 })],
    [json(200, { status: 'QUEUED' })],
  ];
  for (const steps of cases) {
    const { client, sent } = scripted([...steps, submitOk()], { requestTimeoutMs: 10 });
    await assert.rejects(client.submit('gemini-3.1-flash-tts', { text: 'x' }), AmbiguousSubmitError);
    assert.equal(sent.length, 1);
  }
});

test('results keep extra keys, parse metrics, and report a pending state', async () => {
  const { client } = scripted([
    json(200, { status: 'PROCESSING', request_id: 'req-1' }),
    json(200, {
      status: 'COMPLETED',
      output: { url: 'https://cdn.x/a.wav' },
      metrics: { inference_time: 13.06, queue_time: '0.5', cost: 0.0067, remaining_credits: 9.99 },
      seed: 7,
    }),
  ]);
  assert.deepEqual(await client.result(REQUEST), { state: 'PROCESSING' });
  const answer = await client.result(REQUEST);
  assert.equal(answer.state, 'COMPLETED');
  if (answer.state !== 'COMPLETED') return;
  assert.deepEqual(answer.output, { url: 'https://cdn.x/a.wav' });
  assert.deepEqual(answer.metrics, {
    inferenceTimeS: 13.06,
    queueTimeS: 0.5,
    cost: 0.0067,
    remainingCredits: 9.99,
  });
  assert.equal(answer.raw.seed, 7);
});

test('real undici failures: a refused POST is retried, a reset after sending is ambiguous', async () => {
  const server = createServer((request) => {
    request.resume();
    request.on('end', () => request.socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const fast = { sleep: async () => Promise.resolve(), retry: { maxRetries: 1 } };
  try {
    const resetting = makeSegmindClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, ...fast });
    await assert.rejects(resetting.submit('gemini-3.1-flash-tts', { text: 'x' }), AmbiguousSubmitError);
    const getReset = { requestId: 'r', statusUrl: `http://127.0.0.1:${port}/v2/requests/r/status` };
    await assert.rejects(resetting.status(getReset), NetworkError);
  } finally {
    server.close();
    await once(server, 'close');
  }
  const calls: unknown[] = [];
  const refused = makeSegmindClient({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: API_KEY,
    onCall: (call, outcome) => calls.push([call, outcome]),
    ...fast,
  });
  await assert.rejects(
    refused.submit('gemini-3.1-flash-tts', { text: 'x' }),
    (error: unknown) => error instanceof NetworkError && error.code === 'ECONNREFUSED',
  );
  assert.deepEqual(calls, [
    ['submit', 'network'],
    ['submit', 'network'],
  ]);
});

test('bad options are refused, naming the option and the value', () => {
  assert.throws(
    () => makeSegmindClient({ baseUrl: BASE, apiKey: API_KEY, requestTimeoutMs: 0 }),
    /Expected `requestTimeoutMs` to be a finite number > 0, got `0`/,
  );
  assert.throws(
    () => makeSegmindClient({ baseUrl: BASE, apiKey: API_KEY, maxRedirects: -1 }),
    /`maxRedirects`/,
  );
  assert.throws(
    () => makeSegmindClient({ baseUrl: BASE, apiKey: API_KEY, retry: { factor: 0 } }),
    /`factor`/,
  );
});
