/**
 * Colours and symbols in one place. Colour always means state (green live, orange pending or
 * draining, red failing, gray stopped or weight 0) and always comes with a symbol or a word, so
 * the screen reads the same under NO_COLOR, where every colour below is dropped.
 */
import { createContext, useContext } from 'react';

export type Tone =
  'live' | 'pending' | 'failing' | 'stopped' | 'info' | 'warning' | 'error' | 'accent' | 'muted' | 'title';

const TONES: Record<Tone, string> = {
  live: 'green',
  pending: '#ff8700',
  failing: 'red',
  stopped: 'gray',
  info: 'cyan',
  warning: '#ff8700',
  error: 'red',
  accent: 'cyan',
  muted: 'gray',
  title: 'magentaBright',
};

/** Upstreams named after a colour (or ending in `-colour`) wear it; others get these, in order. */
const UPSTREAM_COLOURS = ['blueBright', 'green', 'magenta', 'cyan', 'yellow', 'redBright'];
const NAMED: Record<string, string> = {
  blue: 'blueBright',
  green: 'green',
  red: 'red',
  yellow: 'yellow',
  magenta: 'magenta',
  cyan: 'cyan',
};
/** Without colour, the split bar tells its parts apart by shade. */
const SHADES = ['█', '▓', '▒', '░'];

export const SYMBOLS = {
  live: '●',
  pending: '◐',
  failing: '✗',
  stopped: '○',
  cursor: '▸',
  info: '✓',
  warning: '!',
  error: '✗',
  paused: '⏸',
  upstream: '▾',
} as const;

export const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

export interface Theme {
  readonly colour: boolean;
  tone(t: Tone): string | undefined;
  /** The colour that identifies an upstream in split bars and labels. */
  upstream(name: string, index: number): string | undefined;
  /** The bar glyph of the i-th part of a split. */
  barGlyph(index: number): string;
}

export function makeTheme(colour: boolean): Theme {
  return {
    colour,
    tone: (t) => (colour ? TONES[t] : undefined),
    upstream: (name, index) =>
      colour
        ? (NAMED[name.toLowerCase()] ??
          // A blue-green deploy's apps (`shop-web-blue`) wear their colour too.
          NAMED[name.toLowerCase().split('-').pop() ?? ''] ??
          UPSTREAM_COLOURS[index % UPSTREAM_COLOURS.length])
        : undefined,
    barGlyph: (index) => (colour ? '█' : (SHADES[index % SHADES.length] as string)),
  };
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export function colourWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export const ThemeContext = createContext<Theme>(makeTheme(colourWanted()));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
