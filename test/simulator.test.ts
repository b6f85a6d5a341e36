import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import type { AudioFormat, OutputShape } from '../src/simulator/options.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/server.js';
import { servedAudio, speechPcm } from '../src/simulator/speech-audio.js';

// The client flow exactly as segmind-v2.md describes it, over real HTTP on 127.0.0.1.

const KEY = 'sim-test-key';
const TEXT = 'Narrator: The lighthouse keeper climbed the stairs, counting each one out loud.';

type Answer = { status: number; headers: Headers; json: Record<string, unknown> };

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

function submit(sim: RunningSimulator, body: unknown, slug = 'gemini-3.1-flash-tts'): Promise<Answer> {
  return call(`${sim.url}/v2/${slug}`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function get(url: string): Promise<Answer> {
  return call(url, { headers: { 'x-api-key': KEY } });
}

function field(answer: Answer, name: string): string {
  const value = answer.json[name];
  assert.equal(typeof value, 'string', `${name} in ${JSON.stringify(answer.json)}`);
  return value as string;
}

/** Polls the status URL until the request leaves QUEUED/PROCESSING; returns every status seen. */
async function pollUntilDone(statusUrl: string): Promise<{ last: Answer; seen: string[] }> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 2000; attempt += 1) {
    const answer = await get(statusUrl);
    const status = String(answer.json.status);
    if (seen.at(-1) !== status) seen.push(status);
    if (status !== 'QUEUED' && status !== 'PROCESSING') return { last: answer, seen };
    await delay(5);
  }
  throw new Error(`still pending after 2000 polls: ${statusUrl}`);
}

async function audioFrom(output: unknown, shape: OutputShape, format: AudioFormat): Promise<Buffer> {
  const download = async (url: unknown): Promise<Buffer> => {
    assert.equal(typeof url, 'string');
    const response = await fetch(url as string);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    return Buffer.from(await response.arrayBuffer());
  };
  switch (shape) {
    case 'url':
      assert.match(String(output), new RegExp(`/_sim/files/[0-9a-f-]{36}\\.${format}$`));
      return download(output);
    case 'object':
      return download((output as { url: unknown }).url);
    case 'data-uri': {
      const mime = { wav: 'audio/wav', mp3: 'audio/mpeg', pcm: 'audio/L16;rate=24000' }[format];
      const prefix = `data:${mime};base64,`;
      assert.ok(String(output).startsWith(prefix), String(output).slice(0, 40));
      return Buffer.from(String(output).slice(prefix.length), 'base64');
    }
    case 'base64':
      assert.match(String(output), /^[A-Za-z0-9+/]+=*$/);
      return Buffer.from(String(output), 'base64');
  }
}

for (const format of ['wav', 'pcm', 'mp3'] as const) {
  for (const shape of ['url', 'object', 'data-uri', 'base64'] as const) {
    test(`client flow: submit, poll, result, audio (${format}, output ${shape})`, async () => {
      const sim = await startSimulator({ port: 0, latencyScale: 0.002, audio: format, output: shape });
      try {
        const submitted = await submit(sim, { text: TEXT, voice_1: 'Puck', temperature: 0.7 });
        assert.equal(submitted.status, 200);
        assert.equal(submitted.json.status, 'QUEUED');
        const id = field(submitted, 'request_id');
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.equal(field(submitted, 'status_url'), `${sim.url}/v2/requests/${id}/status`);
        assert.equal(field(submitted, 'response_url'), `${sim.url}/v2/requests/${id}`);
        assert.ok(field(submitted, 'poll_url').startsWith(sim.url));

        const { last, seen } = await pollUntilDone(field(submitted, 'status_url'));
        assert.equal(last.status, 200);
        assert.deepEqual(seen.at(-1), 'COMPLETED');
        assert.ok(
          seen.every((status) => ['QUEUED', 'PROCESSING', 'COMPLETED'].includes(status)),
          String(seen),
        );
        assert.equal(typeof (last.json.metrics as { inference_time: unknown }).inference_time, 'number');

        const result = await get(field(submitted, 'response_url'));
        assert.equal(result.status, 200);
        assert.equal(result.json.status, 'COMPLETED');
        const metrics = result.json.metrics as Record<string, unknown>;
        for (const name of ['inference_time', 'queue_time', 'total_time', 'cost']) {
          assert.equal(typeof metrics[name], 'number', name);
        }
        assert.equal(metrics.cost, 0.0067);
        assert.ok('remaining_credits' in metrics);

        const bytes = await audioFrom(result.json.output, shape, format);
        assert.ok(bytes.equals(servedAudio(TEXT, format)), 'served bytes are servedAudio(text, format)');
        const ledger = sim.ledger();
        assert.equal(ledger.counts.download, shape === 'url' || shape === 'object' ? 1 : 0);
        assert.equal(ledger.counts.download_with_key, 0);
      } finally {
        await sim.close();
      }
    });
  }
}

test('WAV is a canonical 44-byte RIFF header over 16-bit mono 24 kHz PCM', () => {
  const wav = servedAudio(TEXT, 'wav');
  const pcm = speechPcm(TEXT);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(4), wav.length - 8);
  assert.equal(wav.toString('latin1', 8, 16), 'WAVEfmt ');
  assert.equal(wav.readUInt32LE(16), 16);
  assert.equal(wav.readUInt16LE(20), 1, 'PCM');
  assert.equal(wav.readUInt16LE(22), 1, 'mono');
  assert.equal(wav.readUInt32LE(24), 24_000);
  assert.equal(wav.readUInt32LE(28), 48_000, 'byte rate');
  assert.equal(wav.readUInt16LE(32), 2, 'block align');
  assert.equal(wav.readUInt16LE(34), 16, 'bits per sample');
  assert.equal(wav.toString('latin1', 36, 40), 'data');
  assert.equal(wav.readUInt32LE(40), pcm.length);
  assert.ok(wav.subarray(44).equals(pcm));
  assert.ok(servedAudio(TEXT, 'pcm').equals(pcm));
});

test('speech audio is deterministic, speech-like in length, and not silent', () => {
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  assert.equal(sha(speechPcm(TEXT)), sha(speechPcm(TEXT)));
  assert.notEqual(sha(speechPcm(TEXT)), sha(speechPcm(`${TEXT}!`)));
  // ~15 characters per second, 2 bytes per sample at 24 kHz.
  assert.equal(speechPcm('x'.repeat(150)).length, 10 * 24_000 * 2);
  assert.equal(speechPcm('Hi').length, 0.5 * 24_000 * 2, 'at least half a second');
  const pcm = speechPcm(TEXT);
  let peak = 0;
  for (let offset = 0; offset < pcm.length; offset += 2)
    peak = Math.max(peak, Math.abs(pcm.readInt16LE(offset)));
  assert.ok(peak > 3000 && peak < 32767, `peak ${peak}`);
});

test('MP3 is an ID3v2 tag then MPEG-2 Layer III 24 kHz frames covering the duration', () => {
  const mp3 = servedAudio(TEXT, 'mp3');
  assert.equal(mp3.toString('latin1', 0, 3), 'ID3');
  const tagBytes = 10 + [6, 7, 8, 9].reduce((size, index) => (size << 7) | (mp3[index] ?? 0), 0);
  const samples = speechPcm(TEXT).length / 2;
  const frames = (mp3.length - tagBytes) / 96;
  assert.equal(frames, Math.ceil(samples / 576));
  for (let offset = tagBytes; offset < mp3.length; offset += 96) {
    const [b0, b1, b2, b3] = mp3.subarray(offset, offset + 4);
    assert.equal(b0, 0xff, 'sync');
    assert.equal((b1 ?? 0) >> 5, 0b111, 'sync');
    assert.equal(((b1 ?? 0) >> 3) & 3, 0b10, 'MPEG-2');
    assert.equal(((b1 ?? 0) >> 1) & 3, 0b01, 'Layer III');
    assert.equal((b2 ?? 0) >> 4, 4, '32 kbit/s');
    assert.equal(((b2 ?? 0) >> 2) & 3, 1, '24 kHz');
    assert.equal((b3 ?? 0) >> 6, 3, 'mono');
  }
  assert.ok(servedAudio(TEXT, 'mp3').equals(mp3), 'deterministic');
});

test('status goes QUEUED, PROCESSING, COMPLETED by the clock, and the ledger records it', async () => {
  let clockMs = Date.UTC(2026, 0, 1);
  const sim = await startSimulator({ port: 0, now: () => clockMs });
  try {
    const submitted = await submit(
      sim,
      { text: TEXT, voice_1: 'Leda', voice_2: 'Puck' },
      'gemini-2.5-flash-tts',
    );
    const id = field(submitted, 'request_id');
    const [entry] = sim.ledger().requests;
    assert.ok(entry);
    assert.equal(entry.submitted_at, clockMs);
    const statusAt = async (ms: number) => {
      clockMs = ms;
      return (await get(field(submitted, 'status_url'))).json.status;
    };
    assert.equal(await statusAt(entry.submitted_at), 'QUEUED');
    assert.equal(await statusAt(entry.completes_at - 1), 'PROCESSING');
    assert.equal(sim.ledger().requests[0]?.first_seen_completed_at, null);
    assert.equal(await statusAt(entry.completes_at + 5), 'COMPLETED');
    assert.equal(await statusAt(entry.completes_at + 9), 'COMPLETED');

    const result = await get(field(submitted, 'response_url'));
    assert.equal(result.json.status, 'COMPLETED');
    assert.equal((result.json.metrics as { cost: number }).cost, 0.005);

    const ledger = sim.ledger();
    assert.deepEqual(ledger.submits, [
      {
        request_id: id,
        text_sha256: createHash('sha256').update(TEXT).digest('hex'),
        model: 'gemini-2.5-flash-tts',
        voice_1: 'Leda',
        voice_2: 'Puck',
        temperature: 0.4,
        at: new Date(entry.submitted_at).toISOString(),
      },
    ]);
    assert.deepEqual(ledger.requests[0], {
      ...entry,
      first_seen_completed_at: entry.completes_at + 5,
      status_calls: 4,
      result_calls: 1,
      outcome: 'COMPLETED',
      cost: 0.005,
    });
    assert.equal(ledger.counts.submit, 1);
    assert.equal(ledger.counts.status, 4);
    assert.equal(ledger.counts.result, 1);
    assert.equal(ledger.credits_remaining, null);
    // The HTTP ledger is the same object.
    assert.deepEqual((await call(`${sim.url}/_sim/ledger`)).json, ledger);
  } finally {
    await sim.close();
  }
});

test('fixed latency: every request takes exactly that long, scaled, with no queue time', async () => {
  const clockMs = Date.UTC(2026, 0, 1);
  const sim = await startSimulator({ port: 0, now: () => clockMs, fixedLatencyS: 4, latencyScale: 0.5 });
  try {
    await submit(sim, { text: 'short' });
    await submit(sim, { text: 'a much longer text than the other one, by far' }, 'gemini-2.5-flash-tts');
    for (const request of sim.ledger().requests)
      assert.equal(request.completes_at - request.submitted_at, 2000);
  } finally {
    await sim.close();
  }
});

test('result before completion answers like status, or 404 with --result-while-pending 404', async () => {
  const clockMs = Date.UTC(2026, 0, 1);
  for (const mode of ['status', '404'] as const) {
    const sim = await startSimulator({ port: 0, now: () => clockMs, resultWhilePending: mode });
    try {
      const submitted = await submit(sim, { text: TEXT });
      const id = field(submitted, 'request_id');
      const early = await get(field(submitted, 'response_url'));
      if (mode === 'status') {
        assert.equal(early.status, 200);
        assert.equal(early.json.status, 'QUEUED');
        assert.equal(early.json.request_id, id);
        assert.equal(early.json.status_url, field(submitted, 'status_url'));
      } else {
        assert.equal(early.status, 404);
        assert.deepEqual(early.json, { error: `Request ${id} not found` });
        assert.equal(sim.ledger().counts.expired, 0, 'not an expiry');
      }
      assert.equal(sim.ledger().requests[0]?.result_calls, 1);
    } finally {
      await sim.close();
    }
  }
});
