import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { main } from '../src/cli/main.js';

// Docker cannot run in CI: these check the compose file against the CLI, the settings, the
// Dockerfile and the README instead, and run the directory preparation script for real.
const root = new URL('../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');
const repoPath = (path: string) => fileURLToPath(new URL(path, root));

type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  user?: string;
  container_name?: string;
  ports?: string[];
  volumes?: string[];
  env_file?: ({ path: string } | string)[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
};

async function compose(): Promise<Record<string, Service>> {
  return (parse(await read('docker-compose.yml')) as { services: Record<string, Service> }).services;
}

/** A short-syntax volume: host (or named volume) side, container side. */
function mounts(service: Service): { host: string; container: string }[] {
  return (service.volumes ?? []).map((volume) => {
    const [host = '', container = ''] = volume.split(':');
    return { host, container };
  });
}

/** Whether `path` (in the container) lies on one of `targets`. */
const isUnder = (path: string, targets: readonly string[]) =>
  targets.some((target) => path === target || path.startsWith(`${target}/`));

/** Every variable name that src/settings.ts reads (quoted upper-case names). */
async function settingNames(): Promise<Set<string>> {
  const source = await read('src/settings.ts');
  return new Set([...source.matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1] ?? ''));
}

async function npmScripts(): Promise<Record<string, string>> {
  return (JSON.parse(await read('package.json')) as { scripts: Record<string, string> }).scripts;
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

/** The `docker compose ...` commands of a text: one per line, comments and prompts removed. */
function composeCommands(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/^#\s*/, '')
        .replace(/\s+#.*$/, '')
        .trim(),
    )
    .filter((line) => line.startsWith('docker compose '));
}

/** README's "Docker Compose" section. */
async function readmeComposeSection(): Promise<string> {
  const readme = await read('README.md');
  const start = readme.indexOf('\n## Docker Compose\n');
  assert.ok(start >= 0, 'README has a "Docker Compose" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/**
 * A `docker compose run|up` command checked against the services: the service exists, its
 * `npm run` script exists and takes its arguments after `--` (npm eats flags otherwise), and
 * every absolute path it passes is mounted in the container (by the service or a `-v`).
 */
async function checkCommand(command: string, services: Record<string, Service>): Promise<void> {
  const scripts = await npmScripts();
  const words = command.split(/\s+/).map((word) => word.replace(/^"|"$/g, ''));
  const verb = words[2];
  if (verb === 'up') {
    for (const word of words) {
      const scaled = /^(\w[\w-]*)=\d+$/.exec(word)?.[1];
      if (scaled !== undefined) assert.ok(services[scaled], `${command}: no service ${scaled}`);
    }
    return;
  }
  assert.equal(verb, 'run', command);
  const extraMounts: string[] = [];
  let i = 3;
  for (; i < words.length && (words[i] ?? '').startsWith('-'); i += 1) {
    if (words[i] === '-v' || words[i] === '--volume') {
      i += 1;
      extraMounts.push((words[i] ?? '').split(':')[1] ?? '');
    }
  }
  const name = words[i] ?? '';
  const service = services[name];
  assert.ok(service, `${command}: no service ${name}`);
  const [npm, run, script = '', ...args] = words.slice(i + 1);
  assert.deepEqual([npm, run], ['npm', 'run'], command);
  assert.ok(scripts[script], `${command}: no npm script ${script}`);
  if (args.length > 0)
    assert.equal(args[0], '--', `${command}: arguments after \`--\`, or npm takes the flags`);
  const targets = [...mounts(service).map((mount) => mount.container), ...extraMounts];
  for (const arg of args.filter((word) => word.startsWith('/'))) {
    assert.ok(isUnder(arg, targets), `${command}: ${arg} is not mounted in ${name} (${targets.join(', ')})`);
  }
}

test('redis keeps an append-only file on a volume and never evicts', async () => {
  const { redis } = await compose();
  assert.ok(redis?.image?.startsWith('redis:7'));
  assert.ok(redis);
  const command = (redis.command ?? []).join(' ');
  assert.match(command, /--appendonly yes/);
  assert.match(command, /--appendfsync everysec/);
  assert.match(command, /--maxmemory-policy noeviction/);
  assert.match(command, /--hash-max-listpack-value 1024/);
  assert.ok(redis.volumes?.some((volume) => volume.endsWith(':/data')));
  assert.equal(redis.restart, 'unless-stopped');
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

test('a bad setting (exit 2) is not restarted in a loop: workers and dashboard restart on failure a few times', async () => {
  const services = await compose();
  for (const name of ['worker', 'dashboard']) {
    const policy = /^on-failure:(\d+)$/.exec(services[name]?.restart ?? '');
    assert.ok(policy, `${name}: restart is ${services[name]?.restart}, want on-failure:N`);
    assert.ok(Number(policy[1]) >= 1 && Number(policy[1]) <= 10, `${name}: ${policy[0]}`);
  }
});

test('every command is an npm script and a CLI command; every variable is a setting', async () => {
  const services = await compose();
  const scripts = await npmScripts();
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
});

test('every path a service names is mounted; no command has a $ that Compose would interpolate', async () => {
  const services = await compose();
  for (const [name, service] of Object.entries(services)) {
    const targets = mounts(service).map((mount) => mount.container);
    const outDir = service.environment?.['TTS_OUT_DIR'];
    if (outDir !== undefined)
      assert.ok(isUnder(outDir, targets), `${name}: TTS_OUT_DIR ${outDir} is not mounted`);
    for (const word of service.command ?? []) {
      assert.doesNotMatch(word.replace(/\$\$/g, ''), /\$/, `${name}: a single $ in ${word}`);
      for (const path of word.match(/(?<![\w.])\/(?:app|scripts|setup|data)[\w./-]*/g) ?? []) {
        assert.ok(isUnder(path, targets), `${name}: ${path} is not mounted (${targets.join(', ')})`);
      }
    }
    for (const mount of mounts(service).filter((m) => m.host.startsWith('./'))) {
      if (['./out', './scripts'].includes(mount.host)) continue;
      assert.ok(existsSync(repoPath(mount.host)), `${name}: ${mount.host} is not in the checkout`);
    }
  }
});

test('the commands of the header comment and of README run the services as they are', async () => {
  const services = await compose();
  const header = composeCommands(
    (await read('docker-compose.yml'))
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .join('\n'),
  );
  const readme = composeCommands(await readmeComposeSection());
  assert.ok(
    header.some((command) => command.includes('npm run enqueue')),
    'the header shows an enqueue',
  );
  for (const command of [...header, ...readme]) await checkCommand(command, services);
  for (const command of header)
    assert.ok(readme.includes(command), `README lacks the header's \`${command}\``);
});

test('./out is made writable for the workers before any of them starts', async () => {
  const services = await compose();
  const { worker, dirs } = services;
  assert.ok(worker && dirs, 'a dirs service');
  assert.equal(worker.depends_on?.['dirs']?.condition, 'service_completed_successfully');
  assert.equal(dirs.user, 'root');
  assert.equal(dirs.restart, 'no');
  const workerOut = mounts(worker).find((mount) => mount.container === worker.environment?.['TTS_OUT_DIR']);
  assert.ok(workerOut, "the worker's TTS_OUT_DIR is a mount");
  assert.ok(mounts(dirs).some((mount) => mount.host === workerOut.host && mount.container === '/app/out'));
  const workerScripts = mounts(worker).find((mount) => mount.container === '/scripts');
  assert.ok(
    mounts(dirs).some((mount) => mount.host === workerScripts?.host && mount.container === '/scripts'),
  );
  const script = dirs.command?.at(-1) ?? '';
  const setup = mounts(dirs).find((mount) => script.startsWith(`${mount.container}/`));
  assert.ok(setup, `${script} is mounted`);
  assert.ok(
    existsSync(repoPath(posix.join(setup.host, posix.basename(script)))),
    `${script} is in the checkout`,
  );
  // The image the workers run as: node (uid 1000 in the node images), whom prepare-dirs.sh serves.
  const dockerfile = await read('Dockerfile');
  assert.match(dockerfile, /^USER node$/m);
  assert.equal(dirs.image, (/^FROM (\S+)$/m.exec(dockerfile) ?? [])[1], 'dirs runs on the base image');
});

test('the Dockerfile builds what compose runs', async () => {
  const dockerfile = await read('Dockerfile');
  assert.match(dockerfile, /^FROM node:20-slim$/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /^COPY \. \.$/m);
  const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile)?.[1] ?? '';
  const { worker } = await compose();
  assert.equal(posix.dirname(worker?.environment?.['TTS_OUT_DIR'] ?? ''), workdir, 'out inside the app');
  const ignored = (await read('.dockerignore')).split('\n').filter(Boolean);
  const packageJson = JSON.parse(await read('package.json')) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };
  for (const [name, service] of Object.entries(await compose())) {
    if (!service.build) continue;
    const script = packageJson.scripts[service.command?.[2] ?? ''] ?? '';
    // `npm ci --omit=dev`: what the script imports must be a runtime dependency.
    for (const imported of script.match(/(?<=--import )\S+/g) ?? []) {
      assert.ok(packageJson.dependencies[imported], `${name}: ${imported} is not a dependency`);
    }
    for (const file of script.split(/\s+/).filter((word) => /\.(ts|js)$/.test(word))) {
      assert.ok(existsSync(repoPath(file)), `${name}: ${file} does not exist`);
      const top = file.split('/')[0] ?? '';
      assert.ok(!ignored.includes(top), `${name}: ${file} is left out of the image by .dockerignore`);
    }
  }
  for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    assert.ok(!ignored.includes(needed), `.dockerignore leaves out ${needed}`);
  }
});

const execFileAsync = promisify(execFile);
const asRoot = process.getuid?.() === 0 ? false : 'needs root, as the dirs service runs it (chown)';

test(
  'prepare-dirs.sh hands a root-owned out to uid 1000 and scripts to the checkout owner',
  { skip: asRoot },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), 'tts-dirs-'));
    t.after(() => rm(base, { recursive: true, force: true }));
    const [out, scripts, checkout] = ['out', 'scripts', 'checkout'].map((dir) => join(base, dir)) as [
      string,
      string,
      string,
    ];
    for (const dir of [out, scripts, checkout]) await mkdir(dir);
    await chown(checkout, 1234, 1235);
    const env = {
      PATH: process.env['PATH'] ?? '',
      OUT_DIR: out,
      SCRIPTS_DIR: scripts,
      CHECKOUT_DIR: checkout,
    };
    const script = repoPath('docker/prepare-dirs.sh');
    const first = await execFileAsync('sh', [script], { env });
    const owner = async (dir: string) => {
      const { uid, gid } = await stat(dir);
      return `${uid}:${gid}`;
    };
    assert.equal(await owner(out), '1000:1000');
    assert.equal(await owner(scripts), '1234:1235');
    assert.match(first.stdout, /handed to the workers' uid:gid 1000:1000/);
    // Run again (every `docker compose up`): nothing to do, a user's own scripts directory is left alone.
    await chown(scripts, 4321, 4321);
    const second = await execFileAsync('sh', [script], { env });
    assert.equal(second.stdout, '');
    assert.equal(await owner(scripts), '4321:4321');
  },
);
