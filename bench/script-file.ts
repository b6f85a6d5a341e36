import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const WORDS = (
  'the lighthouse keeper climbed slowly up the hundred steps while rain ' +
  'drummed on glass and gulls wheeled over the harbour at dusk'
).split(' ');

/** A deterministic narration line of about `chars` characters. */
export function lineText(seq: number, chars: number): string {
  const words: string[] = [`Line ${seq}:`];
  let length = words[0]?.length ?? 0;
  for (let at = seq; length < chars; at += 7) {
    const word = WORDS[at % WORDS.length] ?? 'sea';
    words.push(word);
    length += word.length + 1;
  }
  return `${words.join(' ')}.`;
}

/** Writes a CSV script of `rows` rows (id, text, voice_1, chapter), ~120 characters of text each. */
export async function writeCsvScript(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('id,text,voice_1,chapter\n');
  const voices = ['Kore', 'Puck', 'Charon', 'Aoede'];
  for (let seq = 0; seq < rows; seq += 1) {
    const line = `r${seq},"${lineText(seq, 100 + (seq % 40))}",${voices[seq % voices.length] ?? 'Kore'},${Math.floor(seq / 1000) + 1}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
