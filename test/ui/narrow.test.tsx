/** At 80 columns the route's host gets the room, not the repetition in upstream names (#14). */
import { afterEach, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { Store } from '../../src/core/store.js';
import { App } from '../../src/ui/App.js';
import { shortNames } from '../../src/ui/panels/ServicesPanel.js';
import { waitForFrame } from './helpers.js';

let engine: Engine | undefined;
afterEach(async () => {
  cleanup();
  await engine?.stop(100);
});

it('drops the prefix the upstreams of a split share, up to a separator', () => {
  expect(shortNames(['checkout-blue', 'checkout-green'])).toEqual(['blue', 'green']);
  expect(shortNames(['shop.v1', 'shop.v2', 'shop.v3'])).toEqual(['v1', 'v2', 'v3']);
  expect(shortNames(['blue', 'green'])).toEqual(['blue', 'green']);
  // Nothing left of one name, or no separator: the names stay whole.
  expect(shortNames(['api', 'api-canary'])).toEqual(['api', 'api-canary']);
  expect(shortNames(['webapp', 'webapi'])).toEqual(['webapp', 'webapi']);
  expect(shortNames(['solo'])).toEqual(['solo']);
});

it('shows whole hosts beside a blue/green split at 80 columns', async () => {
  const seed = new Store();
  for (const [name, port] of [['checkout-blue', 9001], ['checkout-green', 9002], ['catalog-v1', 9003]] as const) {
    seed.dispatch({ op: 'upstream.create', fields: { name, targets: [{ target: `127.0.0.1:${port}` }] } });
  }
  seed.dispatch({ op: 'service.create', fields: { name: 'checkout', upstreams: [{ name: 'checkout-blue', weight: 90 }, { name: 'checkout-green', weight: 10 }] } });
  seed.dispatch({ op: 'route.create', service: 'checkout', fields: { hosts: ['checkout.shop.example.com'] } });
  seed.dispatch({ op: 'service.create', fields: { name: 'catalog', host: 'catalog-v1' } });
  seed.dispatch({ op: 'route.create', service: 'catalog', fields: { hosts: ['catalog.shop.example.com'] } });
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0, initialState: seed.state });
  const r = render(<App engine={engine} size={{ columns: 80, rows: 24 }} colour={false} sampleMs={50} />);
  await waitForFrame(r.lastFrame, [
    /checkout\.shop\.example\.com → checkout +blue 90% [█▓]+ 10% green/,
    'catalog.shop.example.com → catalog',
    (f) => f.split('\n').every((l) => l.length <= 80),
  ]);
});
