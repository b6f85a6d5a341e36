import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** A command run to its end with the peak RSS of it and of every process it started. */
export type TreeRun = {
  readonly code: number | null;
  readonly elapsedMs: number;
  /** Peak RSS (VmHWM) per process name (`comm`), MB: the largest of the processes of that name. */
  readonly peakRssMbByName: Readonly<Record<string, number>>;
  /** Largest sum of the tree's current RSS (VmRSS) at one sample, MB. */
  readonly peakTreeRssMb: number;
  /**
   * CPU seconds (user + system) of the command and every descendant it waited for, from
   * `/usr/bin/time` (undefined without it): on a shared machine the fair measure of work, where
   * wall time also depends on how many processes share the cores.
   */
  readonly cpuS: number | undefined;
  /** 1-minute load average when it started and when it ended. */
  readonly load: readonly [number, number];
  readonly stdout: string;
  readonly stderr: string;
};

/** GNU time: the CPU of a command and its reaped descendants (Debian's `time` package). */
const TIME = '/usr/bin/time';

async function children(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .split(' ')
    .filter((part) => part.trim() !== '')
    .map(Number);
}

async function status(pid: number): Promise<{ name: string; hwmKb: number; rssKb: number } | undefined> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { name: /^Name:\s+(\S+)/m.exec(text)?.[1] ?? '?', hwmKb: field('VmHWM'), rssKb: field('VmRSS') };
}

/**
 * Runs a command, sampling every `everyMs` the RSS of it and all its descendants from /proc
 * (`VmHWM` is each process's own high-water mark, so a peak between samples is not lost for
 * the per-process figure; the tree's sum is only as good as the sampling).
 */
export async function runWithTreeRss(
  command: string,
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; everyMs?: number } = {},
): Promise<TreeRun> {
  const startLoad = loadavg()[0]!;
  const timeFile = join(tmpdir(), `bench-time-${process.pid}-${Date.now()}.txt`);
  const timed = await access(TIME, constants.X_OK).then(
    () => true,
    () => false,
  );
  const startedAt = performance.now();
  const [file, argv] = timed ? [TIME, ['-f', '%U %S', '-o', timeFile, command, ...args]] : [command, args];
  const child = spawn(file, argv, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8000)));
  let done = false;
  const exited = once(child, 'exit').then(([code]) => {
    done = true;
    return code as number | null;
  });
  const peakKb = new Map<string, number>();
  let peakTreeKb = 0;
  while (!done && child.pid !== undefined) {
    const pids = [child.pid];
    for (let at = 0; at < pids.length; at += 1) pids.push(...(await children(pids[at]!)));
    let treeKb = 0;
    for (const pid of pids) {
      const seen = await status(pid);
      if (seen === undefined) continue;
      treeKb += seen.rssKb;
      peakKb.set(seen.name, Math.max(peakKb.get(seen.name) ?? 0, seen.hwmKb));
    }
    peakTreeKb = Math.max(peakTreeKb, treeKb);
    await Promise.race([delay(options.everyMs ?? 100), exited]);
  }
  const code = await exited;
  const times = timed ? await readFile(timeFile, 'utf8').catch(() => '') : '';
  await rm(timeFile, { force: true });
  const [user, system] = times.trim().split(/\s+/).slice(-2).map(Number);
  return {
    code,
    cpuS:
      user !== undefined && system !== undefined && Number.isFinite(user + system)
        ? user + system
        : undefined,
    elapsedMs: performance.now() - startedAt,
    peakRssMbByName: Object.fromEntries([...peakKb].map(([name, kb]) => [name, Math.round(kb / 1024)])),
    peakTreeRssMb: Math.round(peakTreeKb / 1024),
    load: [startLoad, loadavg()[0]!],
    stdout,
    stderr,
  };
}
