import { hash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../output/run-files.js';
import type { ChapterPlan } from './chapter-plan.js';

/** The plan's file in the run directory: where every worker finds it and Redis loss cannot take it. */
export const PLAN_FILE = '.tts-chapters.json';

/** The field of the run's meta hash holding the SHA-256 of the plan file ('' or missing: no chapters). */
export const PLAN_META_FIELD = 'chapterPlan';

export class ChapterPlanError extends Error {
  override readonly name = 'ChapterPlanError';
}

/** Writes the plan atomically; returns its SHA-256 (the pointer stored in the run's meta). */
export async function writeChapterPlan(outDir: string, plan: ChapterPlan): Promise<string> {
  const text = `${JSON.stringify(plan)}\n`;
  await writeFileAtomic(outDir, PLAN_FILE, text);
  return hash('sha256', text, 'hex');
}

/** Reads the plan of a run directory; undefined when there is none. */
export async function readChapterPlan(outDir: string): Promise<ChapterPlan | undefined> {
  let text: string;
  try {
    text = await readFile(join(outDir, PLAN_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let plan: ChapterPlan;
  try {
    plan = JSON.parse(text) as ChapterPlan;
  } catch (error) {
    throw new ChapterPlanError(`${join(outDir, PLAN_FILE)}: not JSON (${(error as Error).message})`);
  }
  if (plan.version !== 1 || !Array.isArray(plan.chapters)) {
    throw new ChapterPlanError(`${join(outDir, PLAN_FILE)}: not a chapter plan of this version`);
  }
  return plan;
}

/** A reader that parses a run's plan again only when its file changed (rows finish by the thousand). */
export function makePlanCache(): (outDir: string) => Promise<ChapterPlan | undefined> {
  const cache = new Map<string, { mtimeMs: number; size: number; plan: ChapterPlan }>();
  return async (outDir) => {
    const info = await stat(join(outDir, PLAN_FILE)).catch(() => undefined);
    if (info === undefined) return undefined;
    const cached = cache.get(outDir);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.plan;
    const plan = await readChapterPlan(outDir);
    if (plan === undefined) return undefined;
    cache.set(outDir, { mtimeMs: info.mtimeMs, size: info.size, plan });
    return plan;
  };
}
