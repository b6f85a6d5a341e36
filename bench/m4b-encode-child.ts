// The process the m4b bench times: `node --import tsx bench/m4b-encode-child.ts FFMPEG INPUT.json`
// runs encodeM4b once (as the product would, in its own process) and prints a summary as JSON.
import { readFile } from 'node:fs/promises';
import { encodeM4b, type EncodeM4bInput } from '../src/audio/m4b-encode.js';

const [ffmpeg, inputFile] = process.argv.slice(2);
if (ffmpeg === undefined || inputFile === undefined)
  throw new Error('usage: m4b-encode-child.ts FFMPEG INPUT.json');
const input = JSON.parse(await readFile(inputFile, 'utf8')) as EncodeM4bInput;
const result = await encodeM4b(input, ffmpeg);
process.stdout.write(
  `${JSON.stringify({
    chapters: result.marks.length,
    totalSamples: result.totalSamples,
    durationMs: result.durationMs,
    primingSamples: result.primingSamples,
    lastMarkMs: result.marks.at(-1)?.startMs,
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  })}\n`,
);
