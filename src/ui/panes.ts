/** The four panes: their tab order, what each lists (in words), and which one has the keys. */

/** The panes, in the order tab visits them (apps and deployments only when there is one to show). */
export const PANES = ['services', 'targets', 'apps', 'deployments'] as const;

export type Pane = (typeof PANES)[number];

/** What a pane lists, as messages name it ("filter routes", "works in the upstreams pane"). */
export const PANE_WORDS: Readonly<Record<Pane, string>> = {
  services: 'routes',
  targets: 'upstreams',
  apps: 'apps',
  deployments: 'deployments',
};

/** The pane that has the keys: `pane`, or the nearest one before it on screen when it has gone. */
export function activePane(pane: Pane, panes: readonly Pane[]): Pane {
  if (panes.includes(pane)) return pane;
  const order: readonly Pane[] = PANES;
  for (let i = order.indexOf(pane) - 1; i >= 0; i--)
    if (panes.includes(order[i] as Pane)) return order[i] as Pane;
  return 'services';
}
