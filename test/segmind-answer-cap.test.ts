// API answers are read within a byte cap: a huge or endless body must not take a worker's memory.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { classifyError } from '../src/segmind/classify.js';
import { makeSegmindClient, type SegmindClientOptions } from '../src/segmind/client.js';
import { AmbiguousSubmitError, ProtocolError } from '../src/segmind/errors.js';

const KEY = 'sk-answer-cap-key-5151';
const MIB = 1024 * 1024;
const served: string[] = [];
let endlessClosed: Promise<unknown> = Promise.resolve();

/** A valid JSON answer of about `bytes` bytes (padding in an extra key, which clients must ignore). */
function padded(body: Record<string, unknown>, bytes: number): Buffer {
  return Buffer.from(JSON.stringify({ ...body, padding: 'x'.repeat(bytes) }));
}

const server = createServer((request, response) => {
  const path = request.url ?? '/';
  served.push(path);
  request.resume();
  if (path === '/v2/requests/big/status') {
    const body = padded({ status: 'PROCESSING', request_id: 'big' }, 2 * MIB);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  } else if (path === '/v2/requests/endless/status') {
    response.writeHead(200, { 'content-type': 'application/json' });
    endlessClosed = once(response, 'close');
    const chunk = Buffer.alloc(64 * 1024, ' ');
    response.write('{"status": "PROCESSING", "padding": "');
    const pump = (): void => {
      while (!response.destroyed && response.write(chunk));
    };
    response.on('drain', pump);
    pump();
  } else if (path === '/v2/requests/inline') {
    const audio = Buffer.alloc(3 * MIB, 1).toString('base64');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: 'COMPLETED', request_id: 'inline', output: audio }));
  } else if (path === '/v2/gemini-3.1-flash-tts') {
    const body = padded({ request_id: 'billed', status: 'QUEUED' }, 2 * MIB);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  } else {
    response.writeHead(404).end();
  }
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

function client(extra: Partial<SegmindClientOptions> = {}) {
  return makeSegmindClient({
    baseUrl: base,
    apiKey: KEY,
    requestTimeoutMs: 5000,
    sleep: () => Promise.resolve(),
    ...extra,
  });
}

const status = (id: string) => ({ requestId: id, statusUrl: `${base}/v2/requests/${id}/status` });

test('a status answer with a Content-Length over maxAnswerBytes (default 1 MiB) is a ProtocolError, not retried in place', async () => {
  served.length = 0;
  const error = await client()
    .status(status('big'))
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ProtocolError, String(error));
  assert.match(
    error.message,
    /^protocol: status answered 200 with Content-Length \d+ over the 1048576-byte cap; body starts "\{\\"status\\":\\"PROCESSING\\"/,
  );
  assert.deepEqual(classifyError(error), { action: 'retry', reason: error.message, protocol: true });
  assert.deepEqual(served, ['/v2/requests/big/status']);
  const roomy = await client({ maxAnswerBytes: 4 * MIB }).status(status('big'));
  assert.equal(roomy.state, 'PROCESSING');
});

test('an endless status body stops being read at the cap, and the connection is dropped', async () => {
  const error = await client()
    .status(status('endless'))
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof ProtocolError, String(error));
  assert.match(
    error.message,
    /with a body over the 1048576-byte cap; body starts "\{\\"status\\": \\"PROCESSING\\"/,
  );
  await endlessClosed;
});

test('a submit answered over the cap: AmbiguousSubmitError caused by a ProtocolError (the POST was accepted)', async () => {
  served.length = 0;
  const error = await client()
    .submit('gemini-3.1-flash-tts', { text: 'x' })
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof AmbiguousSubmitError, String(error));
  assert.ok(error.cause instanceof ProtocolError);
  assert.match(
    error.message,
    /^Segmind submit may have created a job: protocol: submit answered 200 with Content-Length/,
  );
  const { action, protocol } = classifyError(error);
  assert.deepEqual([action, protocol], ['ambiguous-submit', true]);
  assert.deepEqual(served, ['/v2/gemini-3.1-flash-tts'], 'never repeated');
});

test('a result may carry inline audio up to maxResultAnswerBytes (default 64 MiB)', async () => {
  const request = { requestId: 'inline', responseUrl: `${base}/v2/requests/inline` };
  const result = await client().result(request);
  assert.equal(result.state, 'COMPLETED');
  const capped = await client({ maxResultAnswerBytes: MIB })
    .result(request)
    .catch((caught: unknown) => caught);
  assert.ok(capped instanceof ProtocolError && /over the 1048576-byte cap/.test(capped.message));
});

test('the caps are checked options', () => {
  assert.throws(
    () => client({ maxAnswerBytes: 0 }),
    /Expected `maxAnswerBytes` to be a finite number > 0, got `0`/,
  );
  assert.throws(() => client({ maxResultAnswerBytes: -1 }), /`maxResultAnswerBytes`/);
});
