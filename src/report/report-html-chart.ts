import { formatLocalTime } from '../time.js';

/** Bucket widths the chart may use, so that a night and a five-minute run both read well. */
const BUCKET_WIDTHS_S = [
  1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
] as const;
const MAX_BUCKETS = 48;

export type ThroughputBuckets = {
  readonly startMs: number;
  readonly widthS: number;
  readonly completed: readonly number[];
  readonly failed: readonly number[];
};

/** Rows finished per bucket, from the first outcome to the last; undefined when there is none. */
export function throughputBuckets(times: {
  readonly completed: readonly number[];
  readonly failed: readonly number[];
}): ThroughputBuckets | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const list of [times.completed, times.failed]) {
    for (const at of list) {
      if (at < first) first = at;
      if (at > last) last = at;
    }
  }
  if (!Number.isFinite(first)) return undefined;
  const spanS = (last - first) / 1000;
  const widthS = BUCKET_WIDTHS_S.find((width) => spanS / width < MAX_BUCKETS) ?? 86400;
  const startMs = Math.floor(first / (widthS * 1000)) * widthS * 1000;
  const count = Math.floor((last - startMs) / (widthS * 1000)) + 1;
  const fill = (list: readonly number[]) => {
    const buckets = new Array<number>(count).fill(0);
    for (const at of list) buckets[Math.floor((at - startMs) / (widthS * 1000))]! += 1;
    return buckets;
  };
  return { startMs, widthS, completed: fill(times.completed), failed: fill(times.failed) };
}

/** `30 s`, `5 min`, `1 h`. */
export function widthLabel(widthS: number): string {
  if (widthS < 60) return `${widthS} s`;
  if (widthS < 3600) return `${widthS / 60} min`;
  return `${widthS / 3600} h`;
}

const clock = (ms: number, withSeconds: boolean) => formatLocalTime(ms).slice(11, withSeconds ? 19 : 16);

/** The chart as inline SVG: completed (and failed, stacked) rows per bucket, with times under it. */
export function throughputSvg(buckets: ThroughputBuckets): string {
  const width = 720;
  const height = 240;
  const left = 44;
  const bottom = 28;
  const plotW = width - left - 8;
  const plotH = height - bottom - 12;
  const n = buckets.completed.length;
  const totals = buckets.completed.map((c, i) => c + (buckets.failed[i] ?? 0));
  const max = Math.max(1, ...totals);
  const barW = plotW / n;
  const y = (value: number) => 12 + plotH - (value / max) * plotH;
  const withSeconds = buckets.widthS < 60;
  const parts: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const done = buckets.completed[i] ?? 0;
    const failed = buckets.failed[i] ?? 0;
    const x = (left + i * barW + barW * 0.1).toFixed(1);
    const w = Math.max(1, barW * 0.8).toFixed(1);
    const at = clock(buckets.startMs + i * buckets.widthS * 1000, withSeconds);
    const tip = `<title>${at}: ${done} completed, ${failed} failed</title>`;
    parts.push(
      `<rect class="bar done" data-bucket="${i}" data-rows="${done}" x="${x}" y="${y(done).toFixed(1)}" width="${w}" height="${(12 + plotH - y(done)).toFixed(1)}">${tip}</rect>`,
    );
    if (failed > 0) {
      parts.push(
        `<rect class="bar failed" data-bucket="${i}" data-rows="${failed}" x="${x}" y="${y(done + failed).toFixed(1)}" width="${w}" height="${(y(done) - y(done + failed)).toFixed(1)}">${tip}</rect>`,
      );
    }
  }
  const ticks = Math.min(n, 6);
  for (let t = 0; t < ticks; t += 1) {
    const i = Math.round((t * (n - 1)) / Math.max(1, ticks - 1));
    const x = left + i * barW + barW / 2;
    const at = clock(buckets.startMs + i * buckets.widthS * 1000, withSeconds);
    parts.push(`<text class="tick" x="${x.toFixed(1)}" y="${height - 8}" text-anchor="middle">${at}</text>`);
  }
  parts.push(`<text class="tick" x="${left - 6}" y="16" text-anchor="end">${max}</text>`);
  parts.push(`<text class="tick" x="${left - 6}" y="${12 + plotH}" text-anchor="end">0</text>`);
  parts.push(
    `<line class="axis" x1="${left}" y1="${12 + plotH}" x2="${width - 8}" y2="${12 + plotH}"></line>`,
  );
  const label = `Rows finished per ${widthLabel(buckets.widthS)}`;
  return `<svg id="throughput" role="img" aria-label="${label}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}
