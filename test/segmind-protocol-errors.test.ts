// Answers that break the documented shape are named: what is missing, and how the body starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError } from '../src/segmind/classify.js';
import { AmbiguousSubmitError, ProtocolError } from '../src/segmind/errors.js';
import { API_KEY, REQUEST, json, scripted } from './segmind-scripted-fetch.js';

const html = (body: string): Response =>
  new Response(body, { status: 200, headers: { 'content-type': 'text/html' } });

async function submitError(response: Response): Promise<AmbiguousSubmitError> {
  const { client, sent } = scripted([response]);
  const error = await client.submit('gemini-3.1-flash-tts', { text: 'x' }).catch((caught: unknown) => caught);
  assert.ok(error instanceof AmbiguousSubmitError, String(error));
  assert.equal(sent.length, 1, 'an accepted POST is never repeated');
  return error;
}

test('a submit answered 200 with HTML names the missing request_id and the body start, key redacted', async () => {
  const page = `<!doctype html><html><head><title>Login</title></head><body>key ${API_KEY} refused</body></html>`;
  const error = await submitError(html(page));
  const expected =
    'protocol: submit answered 200 without request_id (the body is not a JSON object); ' +
    'body starts "<!doctype html><html><head><title>Login</title></head><body>key [redacted] refused</body></html>"';
  assert.equal(error.message, `Segmind submit may have created a job: ${expected}`);
  assert.ok(error.cause instanceof ProtocolError);
  assert.equal(error.cause.bodyStart?.startsWith('<!doctype html>'), true);
  assert.deepEqual(classifyError(error), { action: 'ambiguous-submit', reason: expected, protocol: true });
});

test('truncated JSON, JSON without request_id, and an empty body are each named', async () => {
  const truncated = await submitError(new Response('{"request_id": "trunc', { status: 200 }));
  assert.match(
    truncated.message,
    /protocol: submit answered 200 without request_id \(the body is not a JSON object\); body starts "\{\\"request_id\\": \\"trunc"$/,
  );
  const missing = await submitError(json(200, { status: 'QUEUED' }));
  assert.match(
    missing.message,
    /protocol: submit answered 200 without request_id; body starts "\{\\"status\\":\\"QUEUED\\"\}"$/,
  );
  const empty = await submitError(new Response('', { status: 200 }));
  assert.match(empty.message, /without request_id \(the body is not a JSON object\); empty body$/);
});

test('the quoted start is at most ~120 characters, and no part of a key at the cut survives', async () => {
  const body = `${'a'.repeat(115)}${API_KEY}${'b'.repeat(500)}`;
  const error = await submitError(new Response(body, { status: 200 }));
  const start = /body starts "(.*)"$/.exec(error.message)?.[1] ?? '';
  assert.ok(start.length <= 121, `${start.length} chars`);
  assert.ok(start.endsWith('[reda…'), start);
  assert.ok(!error.message.includes(API_KEY.slice(0, 6)));
});

test('status and result answers that break the shape: ProtocolError naming the field, protocol: true', async () => {
  const { client } = scripted([
    json(200, { status: 'WHATEVER', request_id: 'req-1' }),
    json(200, { request_id: 'req-1' }),
    html('<html><body>maintenance</body></html>'),
    json(200, { status: 'COMPLETED', request_id: 'req-1' }),
  ]);
  const errors = [
    await client.status(REQUEST).catch((caught: unknown) => caught),
    await client.status(REQUEST).catch((caught: unknown) => caught),
    await client.result(REQUEST).catch((caught: unknown) => caught),
    await client.result(REQUEST).catch((caught: unknown) => caught),
  ];
  const messages = errors.map((error) => {
    assert.ok(error instanceof ProtocolError, String(error));
    assert.deepEqual(classifyError(error), { action: 'retry', reason: error.message, protocol: true });
    return error.message;
  });
  assert.deepEqual(messages, [
    'protocol: status answered 200 with status "WHATEVER" (request req-1); body starts "{\\"status\\":\\"WHATEVER\\",\\"request_id\\":\\"req-1\\"}"',
    'protocol: status answered 200 without status (request req-1); body starts "{\\"request_id\\":\\"req-1\\"}"',
    'protocol: result answered 200 without output (the body is not a JSON object) (request req-1); body starts "<html><body>maintenance</body></html>"',
    'protocol: result answered 200 without output (request req-1); body starts "{\\"status\\":\\"COMPLETED\\",\\"request_id\\":\\"req-1\\"}"',
  ]);
});
