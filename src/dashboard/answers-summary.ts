import { ANSWER_CLASSES, type AnswerClass, type ApiAnswerCount } from '../queue/api-answer-counts.js';

/** The fleet's API answers summed over calls, one count per status class that occurred. */
export function answersByClass(answers: readonly ApiAnswerCount[]): { answer: AnswerClass; count: number }[] {
  return ANSWER_CLASSES.map((answer) => ({
    answer,
    count: answers.filter((a) => a.answer === answer).reduce((sum, a) => sum + a.count, 0),
  })).filter(({ count }) => count > 0);
}

/** The runs page's line of API answers: `2xx: 412 · 429: 9 · 5xx: 6 · network: 2`. */
export function renderAnswersSummary(answers: readonly ApiAnswerCount[]): string {
  const byClass = answersByClass(answers);
  const body =
    byClass.length === 0
      ? 'none yet'
      : byClass
          .map(
            ({ answer, count }) => `<span class="answer" data-class="${answer}">${answer}: ${count}</span>`,
          )
          .join(' · ');
  return `<p id="api-answers">API answers, all runs, every worker: ${body}</p>`;
}
