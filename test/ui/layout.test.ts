/** The layout with apps and deployments: the frame stays within rows - 1, the focused area gets the room. */
import { describe, expect, it } from 'vitest';
import { computeLayout, type Counts, type Layout } from '../../src/ui/hooks/use-layout.js';
import { PANES, type Pane } from '../../src/ui/panes.js';
import { fmtDuration, wrap } from '../../src/ui/format.js';

const HEADERS: Readonly<Record<Pane, number>> = { services: 0, targets: 1, apps: 1, deployments: 0 };

/** Status (2), gaps, each pane (title, header, rows), the flash line and the footer. */
function height(l: Layout): number {
  let h = 2 + l.gaps + 1 + l.footerLines;
  for (const p of PANES) {
    const n = l.panes[p];
    if (n >= 0) h += 1 + (n > 0 ? HEADERS[p] + n : 0);
  }
  return h;
}

const busy: Counts = {
  services: 3,
  targets: 14,
  nameWidth: 17,
  apps: 6,
  deployments: { want: 7, min: 1 },
};

describe('layout with apps and deployments', () => {
  it.each(PANES.map((p) => [p]))('fits 80x24 with %s focused, which gets what it wants', (focus) => {
    const l = computeLayout(80, 24, { ...busy, focus });
    expect(height(l)).toBeLessThanOrEqual(23);
    for (const p of PANES) expect(l.panes[p], p).toBeGreaterThanOrEqual(1);
    const want: Record<Pane, number> = { services: 3, targets: 14, apps: 6, deployments: 7 };
    // The traffic area shares its room 1:2 as before; the apps area gives its focused pane all it wants.
    if (focus === 'apps' || focus === 'deployments') expect(l.panes[focus]).toBe(want[focus]);
    else expect(l.panes.services + l.panes.targets).toBeGreaterThan(l.panes.apps + l.panes.deployments);
  });

  it.each([
    [60, 12],
    [80, 24],
    [120, 40],
    [200, 60],
  ])('never exceeds rows - 1 at %ix%i, whatever has focus', (columns, rows) => {
    for (const focus of PANES) {
      const l = computeLayout(columns, rows, {
        services: 30,
        targets: 80,
        nameWidth: 17,
        apps: 40,
        deployments: { want: 30, min: 3 },
        focus,
      });
      expect(height(l), `${focus}`).toBeLessThanOrEqual(rows - 1);
      expect(l.panes[focus], focus).toBeGreaterThanOrEqual(1);
    }
  });

  it('without apps or deployments, services and targets share the room as they always did', () => {
    const l = computeLayout(80, 24, { services: 13, targets: 30, nameWidth: 17 });
    expect([l.serviceLines, l.targetLines]).toEqual([5, 11]);
    expect(l.panes.apps).toBe(-1);
    expect(l.panes.deployments).toBe(-1);
  });
});

describe('wrap and durations', () => {
  it('wraps between words and cuts a word longer than a line', () => {
    expect(wrap('shop.example.com → shop-web-green 100%; shop-web-blue drained', 30)).toEqual([
      'shop.example.com →',
      'shop-web-green 100%;',
      'shop-web-blue drained',
    ]);
    expect(wrap('a-very-long-word-indeed', 10)).toEqual(['a-very-lo…']);
    expect(wrap('', 10)).toEqual(['']);
  });

  it('says durations as people do', () => {
    expect([500, 1000, 30_000, 60_000, 90_000].map(fmtDuration)).toEqual([
      '500ms',
      '1s',
      '30s',
      '1m',
      '1m30s',
    ]);
  });
});
