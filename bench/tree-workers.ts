import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './common.js';
import type { Tree } from './trees.js';

/** The environment a worker of the bench reads: no rate limit of its own, few logs. */
export function workerEnv(
  redisUrl: string,
  prefix: string,
  simulatorUrl: string,
  concurrency: number,
): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    TTS_QUEUE_PREFIX: prefix,
    SEGMIND_BASE_URL: simulatorUrl,
    SEGMIND_API_KEY: 'sk-bench-0000',
    SEGMIND_RPM: '1000000',
    TTS_CONCURRENCY: String(concurrency),
    TTS_SHUTDOWN_GRACE_MS: '200',
    LOG_LEVEL: 'warn',
  };
}

export type TreeWorker = {
  readonly pid: number;
  readonly child: ChildProcess;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
};

/**
 * Spawns one worker process of `tree` (`node --import tsx [nodeArgs] <entry>`, run in the tree's
 * directory): its own `workers/worker.ts` unless `entry` names another script (a bench wrapper).
 */
export function startTreeWorker(
  tree: Tree,
  env: Readonly<Record<string, string>>,
  options: {
    readonly entry?: string;
    readonly nodeArgs?: readonly string[];
    /** Where its stdout (the JSON log lines) goes, as with `npm run worker > FILE`; dropped if unset. */
    readonly stdoutPath?: string;
  } = {},
): TreeWorker {
  const entry = options.entry ?? join(tree.root, 'workers/worker.ts');
  const stdout = options.stdoutPath === undefined ? 'ignore' : openSync(options.stdoutPath, 'a');
  const child = spawn('node', [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
    cwd: tree.root,
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  if (typeof stdout === 'number') closeSync(stdout);
  let shown = 0;
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8').trim();
    // The persistence warning of every start, and at most a few lines of anything else.
    if (text.includes('neither AOF nor RDB') || shown >= 20) return;
    shown += 1;
    log(`${tree.label} worker: ${text.slice(0, 300)}`);
  });
  if (child.pid === undefined) throw new Error(`bench: could not start a worker of ${tree.root}`);
  const pid = child.pid;
  return {
    pid,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
