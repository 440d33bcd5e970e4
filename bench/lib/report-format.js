/** The report's number formats and its Markdown table. */

export const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1));
export const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
export const int = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en-US'));
export const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);
export const mark = (met) => (met === null || met === undefined ? '–' : met ? 'yes' : '**no**');

export function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export const ms = (v) => `${f1(v)} ms`;
export const slash = (xs, fmt = int) => xs.map(fmt).join(' / ');
