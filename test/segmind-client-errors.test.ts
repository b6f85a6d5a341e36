import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import {
  AuthError,
  CreditsError,
  InferenceFailedError,
  ModelRetiredError,
  NotFoundError,
  ProtocolError,
  ServerError,
} from '../src/segmind/errors.js';
import { API_KEY, REQUEST, connectError, json, scripted, type Step } from './segmind-scripted-fetch.js';

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
