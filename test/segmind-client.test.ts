import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { makeSegmindClient, type CallKind, type SegmindClientOptions } from '../src/segmind/client.js';
import {
  AmbiguousSubmitError,
  AuthError,
  CreditsError,
  InferenceFailedError,
  ModelRetiredError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
} from '../src/segmind/errors.js';

const BASE = 'https://api.segmind.test';
const API_KEY = 'sk-client-test-SECRET-4242';
const REQUEST = {
  requestId: 'req-1',
  statusUrl: `${BASE}/v2/requests/req-1/status`,
  responseUrl: `${BASE}/v2/requests/req-1`,
};

type Step = Response | Error | 'hang';
type Sent = { url: string; method: string; headers: Headers; body: string | undefined };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function connectError(code: string, syscall: string): TypeError {
  return new TypeError('fetch failed', {
    cause: Object.assign(new Error(`${syscall} ${code}`), { code, syscall }),
  });
}

/** A client over a scripted fetch; records requests, sleeps and hook calls, never waits. */
function scripted(steps: Step[], extra: Partial<SegmindClientOptions> = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  const budget: CallKind[] = [];
  const rateLimited: [number, CallKind][] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const step = steps.shift();
    sent.push({
      url: input instanceof Request ? input.url : input.toString(),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    if (step === undefined) throw new Error('script exhausted');
    if (step === 'hang') {
      // AbortSignal.timeout is unref'd: a real socket keeps the process alive, so this stands in for it.
      const keepAlive = setInterval(() => undefined, 1000);
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener(
          'abort',
          () => {
            clearInterval(keepAlive);
            reject(init.signal?.reason as Error);
          },
          { once: true },
        );
      });
    }
    if (step instanceof Error) throw step;
    return Promise.resolve(step);
  };
  const client = makeSegmindClient({
    baseUrl: BASE,
    apiKey: API_KEY,
    fetch,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      await Promise.resolve();
    },
    beforeRequest: async (call) => {
      budget.push(call);
      await Promise.resolve();
    },
    onRateLimited: (waitMs, call) => {
      rateLimited.push([waitMs, call]);
    },
    ...extra,
  });
  return { client, sent, sleeps, budget, rateLimited };
}

const submitOk = (): Response =>
  json(200, {
    request_id: 'req-1',
    status: 'QUEUED',
    poll_url: `${BASE}/v2/requests/req-1/status`,
    status_url: REQUEST.statusUrl,
    response_url: REQUEST.responseUrl,
  });

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

test('GETs retry 503 and 429 (server wait wins), calling beforeRequest every time', async () => {
  const { client, sleeps, budget, rateLimited } = scripted([
    json(503, { error: 'busy' }),
    json(429, { error: 'slow down' }, { 'retry-after': '3' }),
    json(200, { status: 'PROCESSING', request_id: 'req-1', metrics: {} }),
  ]);
  const answer = await client.status(REQUEST);
  assert.equal(answer.state, 'PROCESSING');
  assert.deepEqual(sleeps, [500, 3000]);
  assert.deepEqual(budget, ['status', 'status', 'status']);
  assert.deepEqual(rateLimited, [[3000, 'status']]);
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

test('status answers map to the error table', async () => {
  const check = async (response: Response, expected: (error: unknown) => boolean) => {
    const { client } = scripted([response]);
    await assert.rejects(client.status(REQUEST), expected);
  };
  await check(
    json(422, { status: 'FAILED', error: 'Content blocked by safety filter', request_id: 'req-1' }),
    (error) =>
      error instanceof InferenceFailedError &&
      error.serverMessage === 'Content blocked by safety filter' &&
      error.requestId === 'req-1',
  );
  await check(
    json(404, { error: 'Request req-1 not found' }),
    (error) => error instanceof NotFoundError && error.phase === 'status' && error.status === 404,
  );
  await check(
    json(200, { status: 'FAILED', error: 'nope' }),
    (error) => error instanceof InferenceFailedError,
  );
  await check(json(200, { status: 'WHATEVER' }), (error) => error instanceof ProtocolError);
});

test('submit answers map to the error table, with defensive body parsing', async () => {
  const check = async (response: Response, expected: (error: unknown) => boolean) => {
    const { client } = scripted([response]);
    await assert.rejects(client.submit('gemini-3.1-flash-tts', { text: 'x' }), expected);
  };
  await check(
    json(401, { error: 'Unauthorized' }),
    (error) => error instanceof AuthError && error.status === 401,
  );
  await check(
    json(403, { error: 'Model not allowed' }),
    (error) => error instanceof AuthError && error.status === 403,
  );
  await check(
    json(404, { error: 'Model not found' }),
    (error) => error instanceof NotFoundError && error.phase === 'submit',
  );
  await check(
    new Response('Insufficient credits', { status: 406 }),
    (error) => error instanceof CreditsError && error.serverMessage === 'Insufficient credits',
  );
  await check(json(410, { error: 'Model retired' }), (error) => error instanceof ModelRetiredError);
  await check(
    new Response('<html><head><title>405 Not Allowed</title></head><body>nginx</body></html>', {
      status: 405,
    }),
    (error) => error instanceof ServerError && error.serverMessage === '405 Not Allowed',
  );
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

test('the key is never sent to a host other than the API', async () => {
  const { client, sent } = scripted([]);
  const foreign = { ...REQUEST, statusUrl: 'https://evil.example/v2/requests/req-1/status' };
  await assert.rejects(client.status(foreign), ProtocolError);
  assert.equal(sent.length, 0);
});

test("the caller's abort is rethrown, during a request and during a backoff", async () => {
  const reason = new Error('shutdown');
  const controller = new AbortController();
  const { client } = scripted(['hang']);
  const pending = client.status(REQUEST, controller.signal);
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);

  const second = new AbortController();
  const { client: sleepy } = scripted([json(503, {}), json(503, {})], {
    sleep: async () => {
      second.abort(reason);
      await Promise.resolve();
      second.signal.throwIfAborted();
    },
  });
  await assert.rejects(sleepy.status(REQUEST, second.signal), (error: unknown) => error === reason);
});

test('the API key never appears in an error message, stack or serialization', async () => {
  const errors: unknown[] = [];
  const echo = { error: `Invalid key ${API_KEY}` };
  const steps: (() => Step[])[] = [
    () => [json(401, echo)],
    () => [new Response(`bad key ${API_KEY}`, { status: 406 })],
    () => [json(422, { status: 'FAILED', error: `why ${API_KEY}` })],
    () => [connectError('ECONNRESET', 'read')],
    () => ['hang'],
    () => [json(503, echo)],
  ];
  for (const script of steps) {
    const { client } = scripted(script(), { retry: { maxRetries: 0 }, requestTimeoutMs: 10 });
    await client.submit('gemini-3.1-flash-tts', { text: 'x' }).catch((error: unknown) => errors.push(error));
    const again = scripted(script(), { retry: { maxRetries: 0 }, requestTimeoutMs: 10 });
    await again.client.status(REQUEST).catch((error: unknown) => errors.push(error));
  }
  assert.equal(errors.length, steps.length * 2);
  for (const error of errors) {
    assert.ok(error instanceof Error);
    const texts = [error.message, error.stack ?? '', JSON.stringify(error), inspect(error, { depth: 6 })];
    for (const text of texts) assert.ok(!text.includes(API_KEY), `key leaked in ${error.name}: ${text}`);
  }
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
