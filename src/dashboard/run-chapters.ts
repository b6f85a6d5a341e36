import type { RunChapters } from '../assembly/chapter-progress.js';
import { escapeHtml } from './html.js';

/** A run's chapters in its detail line: rows done of rows, audio minutes, assembled or not, and the m4b. */
export function renderRunChapters(progress: RunChapters | undefined): string {
  if (progress === undefined) return '';
  const assembled = progress.chapters.filter((chapter) => chapter.assembled).length;
  const book = progress.bookAssembled
    ? progress.m4b === null
      ? ' · audiobook: chapters.json written (no ffmpeg: no m4b)'
      : ` · audiobook: <code class="m4b">${escapeHtml(progress.m4b)}</code>`
    : '';
  const rows = progress.chapters.map(
    (chapter) =>
      `<tr data-chapter="${chapter.index}"><td class="n">${chapter.index}</td><td>${escapeHtml(chapter.title)}</td>` +
      `<td class="n">${chapter.done}/${chapter.rows}</td>` +
      `<td class="n">${chapter.audioMinutes === null ? '' : chapter.audioMinutes.toFixed(2)}</td>` +
      `<td class="assembled">${chapter.assembled ? `assembled <code>${escapeHtml(chapter.file)}</code>` : 'not assembled'}</td></tr>`,
  );
  return (
    `<div class="chapters">chapters: ${assembled} of ${progress.chapters.length} assembled${book}` +
    `<table><thead><tr><th>#</th><th>chapter</th><th>rows</th><th>audio min</th><th></th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}
