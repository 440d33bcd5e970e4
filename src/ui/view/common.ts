/** What every pane's rows share: the health a row shows, and the `/` filter's test. */
import type { Tone } from '../theme.js';

/** A row's state: its colour, symbol and word (never the colour alone). */
export interface Health {
  readonly tone: Tone;
  readonly symbol: 'live' | 'pending' | 'failing' | 'stopped';
  readonly word: string;
}

/** The `/` filter: any of the texts contains it, ignoring case (no filter: everything). */
export function matches(filter: string, ...texts: readonly string[]): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return texts.some((t) => t.toLowerCase().includes(f));
}
