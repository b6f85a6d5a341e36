// client.saveAudio over real HTTP: streamed to its file, the bytes and hash on disk equal what was sent.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pcmToWav, toAudio } from '../src/segmind/audio.js';
import { makeSegmindClient, type SegmindClientOptions } from '../src/segmind/client.js';
import { DownloadError } from '../src/segmind/errors.js';

const KEY = 'sk-save-audio-key-6161';
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function sinePcm(samples: number): Buffer {
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 7)), i * 2);
  return pcm;
}

const BIG_WAV = pcmToWav(sinePcm(4_000_000)); // 8 MB, 166.7 s
const PCM = sinePcm(60_001);
const seenHeaders: IncomingHttpHeaders[] = [];
let origin: string;
let root: string;

/** Sends `bytes` in 64 KiB chunks, honouring back-pressure; `declare` sets a Content-Length. */
function stream(response: ServerResponse, bytes: Buffer, declare: boolean, stopAt = Infinity): void {
  response.writeHead(200, declare ? { 'content-length': bytes.length } : {});
  let at = 0;
  const pump = (): void => {
    while (at < Math.min(bytes.length, stopAt)) {
      const piece = bytes.subarray(at, at + 65_536);
      at += piece.length;
      if (!response.write(piece)) return;
    }
    if (at >= bytes.length) response.end();
  };
  response.on('drain', pump);
  pump();
}

const server = createServer((request, response) => {
  seenHeaders.push(request.headers);
  const path = request.url ?? '/';
  if (path === '/big.wav') stream(response, BIG_WAV, true);
  else if (path === '/pcm') stream(response, PCM, false);
  else if (path === '/odd-pcm') stream(response, PCM.subarray(1), false);
  else if (path === '/stalls') stream(response, BIG_WAV, true, 256 * 1024);
  else if (path === '/redirect') response.writeHead(302, { location: '/pcm' }).end();
  else response.writeHead(404).end('nope');
});

before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), 'tts-save-audio-'));
});

after(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  await rm(root, { recursive: true, force: true });
});

const client = (extra: Partial<SegmindClientOptions> = {}) =>
  makeSegmindClient({ baseUrl: origin, apiKey: KEY, ...extra });

async function runDir(): Promise<string> {
  return mkdtemp(join(root, 'run-'));
}

test('a downloaded WAV is streamed to {dir}/{name}.wav: bytes and sha256 on disk equal what was sent', async () => {
  const dir = await runDir();
  const saved = await client().saveAudio(`${origin}/big.wav`, { dir, name: 'row-7' });
  const expected = toAudio(BIG_WAV);
  assert.deepEqual(saved, {
    file: 'row-7.wav',
    extension: 'wav',
    bytes: BIG_WAV.length,
    durationS: expected.durationS,
    sha256: sha256(BIG_WAV),
  });
  const onDisk = await readFile(join(dir, 'row-7.wav'));
  assert.equal(sha256(onDisk), sha256(BIG_WAV));
  assert.deepEqual(await readdir(dir), ['row-7.wav'], 'no temporary file remains');
});

test('headerless PCM without a Content-Length, through a redirect, lands as a WAV; no key is sent', async () => {
  const dir = await runDir();
  seenHeaders.length = 0;
  const outcomes: unknown[] = [];
  const saved = await client({ onCall: (call, outcome) => outcomes.push([call, outcome]) }).saveAudio(
    { url: `${origin}/redirect` },
    { dir, name: 'row-8' },
  );
  const wav = pcmToWav(PCM);
  assert.deepEqual(saved, {
    file: 'row-8.wav',
    extension: 'wav',
    bytes: wav.length,
    durationS: PCM.length / 48_000,
    sha256: sha256(wav),
  });
  assert.deepEqual(await readFile(join(dir, 'row-8.wav')), wav);
  assert.deepEqual(outcomes, [
    ['download', 302],
    ['download', 200],
  ]);
  for (const headers of seenHeaders) {
    assert.equal(headers['x-api-key'], undefined);
    assert.equal(headers.authorization, undefined);
  }
  assert.deepEqual(await readdir(dir), ['row-8.wav']);
});

test('inline audio (data URI, bare base64) is decoded and written the same way', async () => {
  const dir = await runDir();
  const pcm = sinePcm(24_000);
  const wav = pcmToWav(pcm);
  const fromUri = await client().saveAudio(`data:audio/wav;base64,${wav.toString('base64')}`, {
    dir,
    name: 'a',
  });
  const fromBase64 = await client().saveAudio(pcm.toString('base64'), { dir, name: 'b' });
  for (const saved of [fromUri, fromBase64]) {
    assert.deepEqual(
      { ...saved, file: '' },
      { file: '', extension: 'wav', bytes: wav.length, durationS: 1, sha256: sha256(wav) },
    );
  }
  assert.deepEqual((await readdir(dir)).sort(), ['a.wav', 'b.wav']);
});

test('failures leave nothing behind: undecodable audio, the size cap, a refused host, a 404', async () => {
  const dir = await runDir();
  const permanent = (pattern: RegExp) => (error: unknown) =>
    error instanceof DownloadError && !error.transient && pattern.test(error.message);
  await assert.rejects(
    client().saveAudio(`${origin}/odd-pcm`, { dir, name: 'r' }),
    permanent(/odd byte count/),
  );
  await assert.rejects(
    client({ downloadMaxBytes: 1_000_000 }).saveAudio(`${origin}/big.wav`, { dir, name: 'r' }),
    permanent(/exceeds the 1000000-byte cap/),
  );
  await assert.rejects(
    makeSegmindClient({ baseUrl: 'https://api.segmind.com', apiKey: KEY }).saveAudio(`${origin}/pcm`, {
      dir,
      name: 'r',
    }),
    permanent(/scheme http:/),
  );
  await assert.rejects(client().saveAudio(`${origin}/missing`, { dir, name: 'r' }), permanent(/HTTP 404/));
  assert.deepEqual(await readdir(dir), []);
});

test("the caller's abort mid-download is rethrown as its reason, and the temporary file is removed", async () => {
  const dir = await runDir();
  const reason = new Error('worker stopping');
  const controller = new AbortController();
  const watcher = watch(dir);
  const created = once(watcher, 'change');
  const pending = client().saveAudio(`${origin}/stalls`, { dir, name: 'row-9' }, controller.signal);
  await created;
  watcher.close();
  assert.equal((await readdir(dir)).filter((name) => name.endsWith('.tmp')).length, 1);
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
  assert.deepEqual(await readdir(dir), []);
});
