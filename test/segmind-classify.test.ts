import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError, type ErrorAction } from '../src/segmind/classify.js';
import {
  AmbiguousSubmitError,
  AuthError,
  BadRequestError,
  CreditsError,
  DownloadError,
  InferenceFailedError,
  ModelRetiredError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
} from '../src/segmind/errors.js';

const TABLE: readonly [string, unknown, ErrorAction][] = [
  ['400', new BadRequestError('m', { call: 'submit', status: 400 }), 'fail-row'],
  ['401', new AuthError('m', { call: 'submit', status: 401 }), 'stop-run'],
  ['403', new AuthError('m', { call: 'submit', status: 403 }), 'stop-run'],
  ['404 submit', new NotFoundError('m', { call: 'submit', status: 404, phase: 'submit' }), 'fail-row'],
  ['404 status', new NotFoundError('m', { call: 'status', status: 404, phase: 'status' }), 'resubmit'],
  ['404 result', new NotFoundError('m', { call: 'result', status: 404, phase: 'result' }), 'resubmit'],
  ['406', new CreditsError('m', { call: 'submit', status: 406 }), 'stop-run'],
  ['410', new ModelRetiredError('m', { call: 'submit', status: 410 }), 'stop-run'],
  ['422', new InferenceFailedError('m', { call: 'status', status: 422 }), 'fail-row'],
  ['429', new RateLimitedError('m', { call: 'status', status: 429 }), 'backoff-fleet'],
  ['503', new ServerError('m', { call: 'result', status: 503 }), 'retry'],
  ['network', new NetworkError('m', { call: 'status', code: 'ECONNRESET' }), 'retry'],
  ['timeout', new RequestTimeoutError('m', { call: 'result', timeoutMs: 5 }), 'retry'],
  ['ambiguous', new AmbiguousSubmitError('m', { call: 'submit' }), 'ambiguous-submit'],
  ['download transient', new DownloadError('m', { transient: true, status: 503 }), 'retry'],
  ['download refused', new DownloadError('m', { transient: false }), 'fail-row'],
  ['protocol on status', new ProtocolError('m', { call: 'status', status: 200 }), 'retry'],
  ['protocol on submit', new ProtocolError('m', { call: 'submit', status: 200 }), 'ambiguous-submit'],
  ['unknown Error', new TypeError('boom'), 'retry'],
  ['non-error', 'a string', 'retry'],
];

for (const [label, error, action] of TABLE) {
  test(`classifyError: ${label} -> ${action}`, () => {
    assert.equal(classifyError(error).action, action);
  });
}

test('the reason names the status and the server message', () => {
  const error = new InferenceFailedError('long message', {
    call: 'status',
    status: 422,
    serverMessage: 'Content blocked by safety filter',
  });
  assert.equal(classifyError(error).reason, 'HTTP 422: Content blocked by safety filter');
  assert.equal(classifyError(new RateLimitedError('m', { call: 'submit', status: 429 })).reason, 'HTTP 429');
  assert.equal(classifyError(new TypeError('boom')).reason, 'TypeError: boom');
  assert.match(
    classifyError(new NetworkError('connection failed', { call: 'status' })).reason,
    /NetworkError/,
  );
});

test('errors carry a literal name, their fields and a native cause', () => {
  const cause = new Error('socket hang up');
  const error = new NetworkError('m', { call: 'status', requestId: 'r1', code: 'ECONNRESET', cause });
  assert.equal(error.name, 'NetworkError');
  assert.equal(error.requestId, 'r1');
  assert.equal(error.code, 'ECONNRESET');
  assert.equal(error.cause, cause);
  assert.equal(new DownloadError('m', { transient: false }).call, 'download');
  assert.equal(new NotFoundError('m', { call: 'status', phase: 'status' }).phase, 'status');
});

test('protocol is true only for a ProtocolError, or an ambiguous submit caused by one', () => {
  const protocol = new ProtocolError('protocol: status answered 200 without status; empty body', {
    call: 'status',
    status: 200,
  });
  const ambiguousProtocol = new AmbiguousSubmitError('Segmind submit may have created a job: …', {
    call: 'submit',
    status: 200,
    cause: new ProtocolError('protocol: submit answered 200 without request_id; body starts "<html>"', {
      call: 'submit',
      status: 200,
    }),
  });
  assert.deepEqual(classifyError(protocol), {
    action: 'retry',
    reason: 'protocol: status answered 200 without status; empty body',
    protocol: true,
  });
  assert.deepEqual(classifyError(ambiguousProtocol), {
    action: 'ambiguous-submit',
    reason: 'protocol: submit answered 200 without request_id; body starts "<html>"',
    protocol: true,
  });
  for (const [label, error] of TABLE) {
    if (error instanceof ProtocolError) continue;
    assert.equal(classifyError(error).protocol, false, label);
  }
  const timedOut = new AmbiguousSubmitError('m', { call: 'submit', cause: new Error('timeout') });
  assert.equal(classifyError(timedOut).protocol, false);
});
