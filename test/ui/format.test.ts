import { describe, expect, it } from 'vitest';
import { barCells, fmtCount, fmtMs, fmtRate, padStart, sparkline } from '../../src/ui/format.js';
import { computeLayout } from '../../src/ui/hooks/use-layout.js';
import { initialUiState, uiReducer } from '../../src/ui/hooks/use-app-state.js';
import { NO_KEY } from '../../src/ui/key-events.js';
import { footerItems, KEYMAP, resolve } from '../../src/ui/keymap.js';
import { layoutFooter } from '../../src/ui/panels/Footer.js';
import { helpEntries, helpLayout } from '../../src/ui/panels/HelpOverlay.js';
import { colourWanted, makeTheme } from '../../src/ui/theme.js';
import type { Key } from 'ink';

const key = (k: Partial<Key> = {}): Key => ({ ...NO_KEY, ...k });

describe('numbers', () => {
  it('keep their width', () => {
    expect([0, 4.24, 57, 812.4, 12_345].map(fmtRate)).toEqual(['0', '4.2', '57.0', '812', '12.3k']);
    expect([12, 99_999, 123_456, 12_345_678].map(fmtCount)).toEqual(['12', '99999', '123k', '12.3M']);
    expect([null, 0.42, 12.4, 1234].map(fmtMs)).toEqual(['–', '0.4', '12', '1.2s']);
    expect(padStart('7', 4)).toBe('   7');
  });

  it('sparkline: ▁ to █ on a shared scale; zero is blank', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe(' ▁▂▄█');
    expect(sparkline([4, 4], 4, 8)).toBe('  ▄▄');
    expect(sparkline([1, 2, 3], 2)).toBe('▆█');
  });

  it('barCells shows a thin part with at least one cell', () => {
    expect(barCells([99, 1], 20)).toEqual([19, 1]);
    expect(barCells([95, 5], 40)).toEqual([38, 2]);
    expect(barCells([0, 0], 10)).toEqual([0, 0]);
  });
});

describe('layout', () => {
  it.each([
    [80, 24],
    [120, 40],
    [60, 12],
    [200, 60],
  ])('fits %ix%i: table rows and the frame height', (columns, rows) => {
    const l = computeLayout(columns, rows, { services: 30, targets: 80, nameWidth: 17 });
    const c = l.targets;
    const numbers = [c.weight, c.conf, c.obs, c.health, c.rate, c.ok, c.err, c.p50, c.p99, c.inflight];
    const rowWidth =
      c.name + numbers.reduce((a, w) => a + (w > 0 ? w + 1 : 0), 0) + (c.spark ? c.spark + 1 : 0);
    expect(rowWidth).toBeLessThanOrEqual(columns - 1);
    const height = 2 + l.gaps + 1 + l.serviceLines + 1 + 1 + l.targetLines + 1 + l.footerLines;
    expect(height).toBeLessThanOrEqual(rows - 1);
  });

  it('shows every column, full target addresses and a sparkline at 80 columns', () => {
    const l = computeLayout(80, 24, { services: 1, targets: 7, nameWidth: 17 });
    // Only the marker, and the columns an HAProxy fleet shows instead of latency and in flight.
    expect(Object.keys(l.targets).filter((k) => l.targets[k as keyof typeof l.targets] === 0)).toEqual([
      'marker',
      'requests',
      'errors',
    ]);
    expect(l.targets.name).toBe(17);
    expect(l.targets.spark).toBeGreaterThanOrEqual(4);
    expect(l.serviceLines).toBe(1);
    expect(l.targetLines).toBe(7);
  });
});

describe('keymap', () => {
  it('resolves keys by scope, escape first', () => {
    expect(resolve(['services', 'global'], '', key({ rightArrow: true }))?.action).toBe('split.right');
    expect(resolve(['services', 'global'], '', key({ rightArrow: true, shift: true }))?.action).toBe(
      'split.right1',
    );
    expect(resolve(['targets', 'global'], '', key({ rightArrow: true }))).toBeUndefined();
    expect(resolve(['services', 'global'], 'G', key({ shift: true }))?.action).toBe('split.second');
    expect(resolve(['services', 'global'], '7', key())?.action).toBe('split.set');
    expect(resolve(['dialog'], '', key({ escape: true, meta: true }))?.action).toBe('dialog.cancel');
    expect(resolve(['services', 'global'], 'c', key({ ctrl: true }))?.action).toBe('quit');
  });

  it('every binding has keys, a label or a partner, and short help', () => {
    for (const b of KEYMAP) {
      expect(b.keys.length).toBeGreaterThan(0);
      expect(b.help.length).toBeLessThanOrEqual(27);
    }
    const ids = KEYMAP.map((b) => `${b.scope}:${b.action}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the footer keeps ? and q in view and fits its width', () => {
    const items = footerItems(['services', 'global'], { demo: true, splitSize: 2, onTarget: false });
    for (const width of [60, 80, 120]) {
      const lines = layoutFooter(items, width, 2);
      const flat = lines.flat().map((i) => i.keys);
      expect(flat).toContain('?');
      expect(flat).toContain('q');
      for (const l of lines)
        expect(
          l.reduce((a, i) => a + [...i.keys].length + 1 + [...i.label].length + 2, 1),
        ).toBeLessThanOrEqual(width);
    }
  });

  it("the help lists the : line's verbs where they fit, and never scrolls for them", () => {
    const big = helpLayout(120, 50);
    expect(big.overflow).toBe(0);
    const verbs = big.columns.flat().filter((e) => e.kind === 'verb').map((e) => (e.kind === 'verb' ? e.keys : ''));
    expect(verbs).toContain('bg-deploy');
    expect(verbs).toContain('split');
    const small = helpLayout(80, computeLayout(80, 24, { services: 1, targets: 7, nameWidth: 17 }).helpLines);
    expect(small.overflow).toBe(0);
    expect(small.columns.flat().some((e) => e.kind === 'verb')).toBe(false);
  });

  it('the help fits 80x24 without scrolling, in two columns', () => {
    const l = computeLayout(80, 24, { services: 1, targets: 7, nameWidth: 17 });
    const h = helpLayout(80, l.helpLines);
    expect(h.overflow).toBe(0);
    expect(h.columns.flat().filter((e) => e.kind === 'key')).toHaveLength(
      helpEntries().filter((e) => e.kind === 'key').length,
    );
  });
});

describe('reducer and theme', () => {
  it('moves the cursor within the rows and types into the filter live', () => {
    let s = uiReducer(initialUiState, { type: 'cursor.move', delta: 5, count: 3 });
    expect(s.cursor.services).toBe(2);
    s = uiReducer(s, { type: 'mode', mode: { kind: 'prompt', prompt: 'filter', label: '/', value: '' } });
    s = uiReducer(s, { type: 'prompt.edit', value: 'gr' });
    expect(s.filter.services).toBe('gr');
    expect(s.cursor.services).toBe(0);
  });

  it('NO_COLOR drops every colour but keeps the shapes apart', () => {
    expect(colourWanted({ NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ NO_COLOR: '' })).toBe(true);
    const t = makeTheme(false);
    expect(t.tone('failing')).toBeUndefined();
    expect(t.upstream('blue', 0)).toBeUndefined();
    expect(t.barGlyph(0)).not.toBe(t.barGlyph(1));
    expect(makeTheme(true).upstream('green', 0)).toBe('green');
  });
});
