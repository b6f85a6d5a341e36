import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { pcmToWav } from '../src/segmind/audio.js';
import { checkDownloadUrl, hostKind } from '../src/segmind/download-guard.js';
import { downloadAudioBytes, type DownloadOptions } from '../src/segmind/download.js';
import { DownloadError } from '../src/segmind/errors.js';

const WAV = pcmToWav(Buffer.alloc(4800, 7));
let server: Server;
let origin: string;

before(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const hops = /^\/r\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/audio') {
      response.writeHead(200, { 'content-type': 'audio/wav' }).end(WAV);
    } else if (hops) {
      const left = Number(hops[1]);
      response.writeHead(302, { location: left > 1 ? `/r/${left - 1}` : '/audio' }).end();
    } else if (url.pathname === '/to-metadata') {
      response.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    } else if (url.pathname === '/big-chunked') {
      response.writeHead(200);
      for (let i = 0; i < 10; i += 1) response.write(Buffer.alloc(500));
      response.end();
    } else if (url.pathname === '/big-declared') {
      response.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000));
    } else if (url.pathname === '/hang') {
      response.writeHead(200);
      response.write(Buffer.alloc(10));
    } else {
      const status = Number(url.pathname.slice(1)) || 404;
      response.writeHead(status).end('nope');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const options: DownloadOptions = {
  fetch: globalThis.fetch,
  maxBytes: 1_000_000,
  timeoutMs: 5000,
  maxRedirects: 3,
  allowLoopback: true,
};

const refused = (pattern: RegExp) => (error: unknown) =>
  error instanceof DownloadError && !error.transient && pattern.test(error.message);

test('only https:, plus http: to loopback when allowed', () => {
  assert.equal(checkDownloadUrl('https://cdn.segmind.com/a.wav', false).hostname, 'cdn.segmind.com');
  assert.throws(() => checkDownloadUrl('http://cdn.segmind.com/a.wav', true), refused(/scheme http:/));
  assert.throws(() => checkDownloadUrl('ftp://cdn.segmind.com/a.wav', true), refused(/scheme/));
  assert.throws(() => checkDownloadUrl('file:///etc/passwd', true), refused(/scheme/));
  assert.throws(() => checkDownloadUrl('not a url', true), refused(/not a URL/));
  assert.equal(checkDownloadUrl('http://127.0.0.1:9/a', true).port, '9');
  assert.equal(checkDownloadUrl('http://localhost/a', true).hostname, 'localhost');
  assert.equal(checkDownloadUrl('http://[::1]/a', true).hostname, '[::1]');
  assert.throws(() => checkDownloadUrl('http://127.0.0.1/a', false), refused(/scheme/));
  assert.throws(() => checkDownloadUrl('https://127.0.0.1/a', false), refused(/loopback/));
});

test('private, link-local, unspecified and metadata hosts are refused, in any spelling', () => {
  for (const url of [
    'https://169.254.169.254/latest/meta-data/',
    'https://0xa9.254.169.254/',
    'https://10.1.2.3/a',
    'https://172.16.0.1/a',
    'https://192.168.1.1/a',
    'https://100.64.0.1/a',
    'https://0.0.0.0/a',
    'https://[::]/a',
    'https://[fe80::1]/a',
    'https://[fd00:ec2::254]/a',
    'https://[::ffff:10.0.0.1]/a',
    'https://[::ffff:169.254.169.254]/a',
    'https://metadata.google.internal/a',
  ]) {
    assert.throws(() => checkDownloadUrl(url, true), refused(/private/), url);
  }
  assert.equal(hostKind('2130706433'), 'public');
  assert.equal(hostKind(new URL('http://2130706433/').hostname), 'loopback');
  assert.equal(hostKind('[::ffff:7f00:1]'), 'loopback');
  assert.equal(hostKind('8.8.8.8'), 'public');
  assert.equal(hostKind('[2606:4700::1111]'), 'public');
});

test('downloads follow up to maxRedirects redirects, and no more', async () => {
  assert.deepEqual(await downloadAudioBytes(`${origin}/r/3`, options), WAV);
  await assert.rejects(downloadAudioBytes(`${origin}/r/4`, options), refused(/more than 3 redirects/));
  await assert.rejects(
    downloadAudioBytes(`${origin}/r/1`, { ...options, maxRedirects: 0 }),
    refused(/redirects/),
  );
});

test('each redirect hop is re-checked', async () => {
  await assert.rejects(downloadAudioBytes(`${origin}/to-metadata`, options), refused(/scheme|private/));
});

test('the size cap stops reading, with or without a Content-Length', async () => {
  const small = { ...options, maxBytes: 1000 };
  await assert.rejects(downloadAudioBytes(`${origin}/big-chunked`, small), refused(/1000-byte cap/));
  await assert.rejects(downloadAudioBytes(`${origin}/big-declared`, small), refused(/5000 bytes exceeds/));
  assert.equal((await downloadAudioBytes(`${origin}/big-declared`, options)).length, 5000);
});

test('5xx and timeouts are transient, 404 is not', async () => {
  const transient = (error: unknown) => error instanceof DownloadError && error.transient;
  await assert.rejects(downloadAudioBytes(`${origin}/503`, options), transient);
  await assert.rejects(downloadAudioBytes(`${origin}/hang`, { ...options, timeoutMs: 50 }), transient);
  await assert.rejects(downloadAudioBytes(`${origin}/404`, options), refused(/HTTP 404/));
});

test("the caller's abort is rethrown as its reason", async () => {
  const reason = new Error('shutting down');
  const controller = new AbortController();
  const pending = downloadAudioBytes(`${origin}/hang`, options, controller.signal);
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
});
