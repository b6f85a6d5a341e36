import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ChaosRow = { readonly id: string; readonly text: string; readonly model: string };

const WORDS = [
  'river',
  'lantern',
  'quiet',
  'morning',
  'harbour',
  'engine',
  'letter',
  'garden',
  'silver',
  'window',
];

/** A deterministic narration script of `rows` distinct rows, mostly 3.1 with some 2.5. */
export function chaosRows(rows: number, seed: number): ChaosRow[] {
  return Array.from({ length: rows }, (_, i) => {
    const words = Array.from(
      { length: 4 + ((i * 7 + seed) % 20) },
      (_, w) => WORDS[(i + w * 3 + seed) % WORDS.length],
    );
    return {
      id: `row-${String(i + 1).padStart(5, '0')}`,
      text: `Paragraph ${i + 1}, seed ${seed}: ${words.join(' ')}.`,
      model: i % 5 === 4 ? 'gemini-2.5-flash-tts' : 'gemini-3.1-flash-tts',
    };
  });
}

/** Writes the rows as a CSV script (texts contain commas, so they are quoted). */
export async function writeChaosScript(dir: string, rows: readonly ChaosRow[]): Promise<string> {
  const path = join(dir, 'chaos.csv');
  const lines = ['id,text,model,chapter', ...rows.map((row) => `${row.id},"${row.text}",${row.model},chaos`)];
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}
