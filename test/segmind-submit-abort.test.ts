// A POST that may have left is never taken back by the caller's abort: another worker would bill it again.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { makeSegmindClient, type CallKind } from '../src/segmind/client.js';
import { AmbiguousSubmitError } from '../src/segmind/errors.js';

const KEY = 'sk-submit-abort-key-3131';
const held: ServerResponse[] = [];
const received: string[] = [];
const server = createServer((request, response) => {
  received.push(`${request.method ?? '?'} ${request.url ?? '?'}`);
  request.resume();
  request.on('end', () => {
    held.push(response);
    server.emit('held');
  });
});
let base: string;

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function answer(body: unknown): void {
  const response = held.shift();
  assert.ok(response, 'a request is held');
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const accepted = (id: string) => ({
  request_id: id,
  status: 'QUEUED',
  status_url: `${base}/v2/requests/${id}/status`,
  response_url: `${base}/v2/requests/${id}`,
});

test('an abort while the POST is in flight: the submit still resolves with its request id', async () => {
  received.length = 0;
  const controller = new AbortController();
  const client = makeSegmindClient({ baseUrl: base, apiKey: KEY, requestTimeoutMs: 10_000 });
  const pending = client.submit('gemini-3.1-flash-tts', { text: 'x' }, controller.signal);
  await once(server, 'held');
  controller.abort(new Error('worker stopping'));
  await tick();
  answer(accepted('req-kept'));
  const submitted = await pending;
  assert.equal(submitted.requestId, 'req-kept');
  assert.deepEqual(received, ['POST /v2/gemini-3.1-flash-tts']);
});

test('an abort while the POST is in flight and no answer within the timeout: AmbiguousSubmitError, not the abort', async () => {
  const reason = new Error('worker stopping');
  const controller = new AbortController();
  const client = makeSegmindClient({ baseUrl: base, apiKey: KEY, requestTimeoutMs: 300 });
  const pending = client.submit('gemini-3.1-flash-tts', { text: 'x' }, controller.signal);
  await once(server, 'held');
  controller.abort(reason);
  const error = await pending.catch((caught: unknown) => caught);
  assert.ok(error instanceof AmbiguousSubmitError, String(error));
  assert.notEqual(error, reason);
  assert.match(error.message, /no answer within 300 ms/);
  held.shift()?.destroy();
});

test('a GET is still ended by the abort, rethrown as its reason', async () => {
  const reason = new Error('worker stopping');
  const controller = new AbortController();
  const client = makeSegmindClient({ baseUrl: base, apiKey: KEY, requestTimeoutMs: 10_000 });
  const pending = client.status(
    { requestId: 'r', statusUrl: `${base}/v2/requests/r/status` },
    controller.signal,
  );
  await once(server, 'held');
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
  held.shift()?.destroy();
});

test('before the POST is handed over, the abort is honoured: in the budget wait, nothing is sent', async () => {
  received.length = 0;
  const reason = new Error('worker stopping');
  const controller = new AbortController();
  const waited: CallKind[] = [];
  const client = makeSegmindClient({
    baseUrl: base,
    apiKey: KEY,
    beforeRequest: async (call, signal) => {
      waited.push(call);
      controller.abort(reason);
      await tick();
      signal?.throwIfAborted();
    },
  });
  const pending = client.submit('gemini-3.1-flash-tts', { text: 'x' }, controller.signal);
  await assert.rejects(pending, (error: unknown) => error === reason);
  await assert.rejects(
    client.submit('gemini-3.1-flash-tts', { text: 'x' }, controller.signal),
    (error: unknown) => error === reason,
  );
  assert.deepEqual(waited, ['submit']);
  assert.deepEqual(received, []);
});
