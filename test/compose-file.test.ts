import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { parse } from 'yaml';
import { main } from '../src/cli/main.js';

// Docker cannot run in CI: these check the compose file against the CLI and the settings instead.
const root = new URL('../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  container_name?: string;
  ports?: string[];
  volumes?: string[];
  env_file?: ({ path: string } | string)[];
  environment?: Record<string, string>;
};

async function compose(): Promise<Record<string, Service>> {
  return (parse(await read('docker-compose.yml')) as { services: Record<string, Service> }).services;
}

/** Every variable name that src/settings.ts reads (quoted upper-case names). */
async function settingNames(): Promise<Set<string>> {
  const source = await read('src/settings.ts');
  return new Set([...source.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1] ?? ''));
}

async function helpExitCode(command: string): Promise<number> {
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  return main([command, '--help'], {
    stdout: sink,
    stderr: sink,
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
}

test('redis keeps an append-only file on a volume and never evicts', async () => {
  const { redis } = await compose();
  assert.ok(redis?.image?.startsWith('redis:7'));
  assert.ok(redis);
  const command = (redis.command ?? []).join(' ');
  assert.match(command, /--appendonly yes/);
  assert.match(command, /--appendfsync everysec/);
  assert.match(command, /--maxmemory-policy noeviction/);
  assert.ok(redis.volumes?.some((volume) => volume.endsWith(':/data')));
});

test('the worker scales: built image, npm run worker, settings from .env, no fixed name or port', async () => {
  const { worker } = await compose();
  assert.ok(worker?.build);
  assert.deepEqual(worker.command, ['npm', 'run', 'worker']);
  assert.equal(worker.container_name, undefined);
  assert.equal(worker.ports, undefined);
  assert.ok(worker.env_file?.some((file) => (typeof file === 'string' ? file : file.path) === '.env'));
  assert.equal(worker.environment?.['REDIS_URL'], 'redis://redis:6379');
});

test('the dashboard is published on the host loopback and listens on all interfaces inside', async () => {
  const { dashboard } = await compose();
  assert.deepEqual(dashboard?.command, ['npm', 'run', 'dashboard']);
  assert.deepEqual(dashboard.ports, ['127.0.0.1:3000:3000']);
  assert.equal(dashboard.environment?.['TTS_DASHBOARD_HOST'], '0.0.0.0');
  assert.equal(dashboard.environment?.['REDIS_URL'], 'redis://redis:6379');
});

test('every command is an npm script and a CLI command; every variable is a setting', async () => {
  const services = await compose();
  const scripts = (JSON.parse(await read('package.json')) as { scripts: Record<string, string> }).scripts;
  const names = await settingNames();
  for (const [name, service] of Object.entries(services)) {
    for (const variable of Object.keys(service.environment ?? {})) {
      assert.ok(names.has(variable), `${name}: ${variable} is not read by src/settings.ts`);
    }
    if (service.image) continue;
    const [npm, run, script = ''] = service.command ?? [];
    assert.deepEqual([npm, run], ['npm', 'run'], name);
    assert.ok(scripts[script], `${name}: no npm script ${script}`);
    assert.equal(await helpExitCode(script), 0, `${name}: tts-batch ${script} --help`);
  }
  const example = await read('.env.example');
  for (const match of example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)) {
    assert.ok(names.has(match[1] ?? ''), `.env.example: ${match[1]} is not a setting`);
  }
  const dockerfile = await read('Dockerfile');
  assert.match(dockerfile, /^FROM node:20-slim$/m);
  assert.match(dockerfile, /npm ci/);
});
