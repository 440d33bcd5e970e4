/** Fixed-width formatting for the numbers people watch: they stay put as they change. */
import { apportion } from '../core/traffic.js';
import { SPARK } from './theme.js';

/** Requests per second: `0`, `4.2`, `57.0`, `812`, `12.3k`. */
/** `1 instance`, `2 instances`. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function fmtRate(n: number): string {
  if (n <= 0) return '0';
  if (n < 100) return n.toFixed(1);
  if (n < 10_000) return n.toFixed(0);
  return `${(n / 1000).toFixed(1)}k`;
}

/** Counts: exact up to 99999, then `123k`, `1.2M`. */
export function fmtCount(n: number): string {
  if (n < 100_000) return String(n);
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`;
  if (n < 100_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.floor(n / 1_000_000)}M`;
}

/** Milliseconds: `–` (none yet), `0.4`, `12`, `1.2s`. */
export function fmtMs(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 10) return ms.toFixed(1);
  if (ms < 1000) return ms.toFixed(0);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.round(ms / 1000)}s`;
}

/** `30s`, `2m`, `1m30s`, `500ms`. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** A share in percent, or `–` when there is nothing to share. */
export function fmtPct(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '–';
  return `${Math.round(p)}%`;
}

/** Display width: our glyphs (●, █, ▁…) are one cell each. */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function padEnd(s: string, w: number): string {
  const n = width(s);
  if (n > w) return truncate(s, w);
  return s + ' '.repeat(w - n);
}

export function padStart(s: string, w: number): string {
  const n = width(s);
  if (n > w) return truncate(s, w);
  return ' '.repeat(w - n) + s;
}

/** Cuts to `w` cells, marking the cut with `…`. */
export function truncate(s: string, w: number): string {
  const chars = [...s];
  if (chars.length <= w) return s;
  if (w <= 0) return '';
  if (w === 1) return '…';
  return chars.slice(0, w - 1).join('') + '…';
}

/** `text` in lines of at most `w` cells, broken between words; a word longer than a line is cut. */
export function wrap(text: string, w: number): string[] {
  const max = Math.max(1, w);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const fits = line === '' ? width(word) <= max : width(line) + 1 + width(word) <= max;
    if (fits) {
      line = line === '' ? word : `${line} ${word}`;
      continue;
    }
    if (line !== '') lines.push(line);
    line = width(word) <= max ? word : truncate(word, max);
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * The last `w` values as ▁▂▃▄▅▆▇█, scaled to `scale` (default: their largest); zero is a blank
 * so that "nothing" never looks like "a little".
 */
export function sparkline(series: readonly number[], w: number, scale?: number): string {
  if (w <= 0) return '';
  const values = series.slice(-w);
  const max = scale ?? Math.max(0, ...values);
  let out = ' '.repeat(Math.max(0, w - values.length));
  for (const v of values) {
    if (v <= 0 || max <= 0) out += ' ';
    else out += SPARK[Math.min(SPARK.length - 1, Math.ceil((v / max) * SPARK.length) - 1)];
  }
  return out;
}

/** Splits `total` cells by `weights` (core's `apportion`); every non-zero weight gets a cell when it can. */
export function barCells(weights: readonly number[], total: number): number[] {
  const out = apportion(weights, total);
  // A part that has traffic must show, even if thin: borrow a cell from the widest.
  for (let i = 0; i < out.length; i++) {
    if ((weights[i] as number) > 0 && out[i] === 0) {
      let widest = 0;
      for (let j = 1; j < out.length; j++) if ((out[j] as number) > (out[widest] as number)) widest = j;
      if ((out[widest] as number) > 1) {
        out[widest] = (out[widest] as number) - 1;
        out[i] = 1;
      }
    }
  }
  return out;
}
