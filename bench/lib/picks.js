/**
 * The balancer's cost per pick, for each of Kong's algorithms and for a sticky split: the compiled
 * table's own `pickTarget` / `pickUpstream` (and, for the hashing ones, reading the key from a
 * request), in a tight loop over a fixed set of requests. No network: what a request pays for the
 * pick itself, beside the proxy's whole cost measured by the load runs.
 *
 * Run by bench/experiments/picks.js as a child process (`node bench/lib/picks.js --picks N`); prints one JSON
 * object on stdout.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Store } from '../../dist/core/store.js';
import { attemptEnded, attemptStarted, pickTarget, pickUpstream } from '../../dist/core/table.js';
import { requestKey } from '../../dist/core/sticky.js';

const { values: opt } = parseArgs({ options: { picks: { type: 'string', default: '1000000' }, targets: { type: 'string', default: '8' } } });
const PICKS = Number(opt.picks);
const TARGETS = Number(opt.targets);

const targets = Array.from({ length: TARGETS }, (_, i) => ({ target: `10.0.0.${i + 1}:8080`, weight: 50 + 10 * i }));
const store = new Store();
const upstreams = {
  'round-robin': {},
  'consistent-hashing': { hash_on: 'header', hash_on_header: 'x-user' },
  'least-connections': { algorithm: 'least-connections' },
  latency: { algorithm: 'latency' },
};
for (const [name, fields] of Object.entries(upstreams)) store.dispatch({ op: 'upstream.create', fields: { name, ...fields, targets } });
store.dispatch({ op: 'upstream.create', fields: { name: 'green', targets } });
store.dispatch({ op: 'service.create', fields: { name: 'split', host: 'round-robin', upstreams: [{ name: 'round-robin', weight: 90 }, { name: 'green', weight: 10 }] } });
store.dispatch({
  op: 'service.create',
  fields: { name: 'sticky', host: 'round-robin', upstreams: [{ name: 'round-robin', weight: 90 }, { name: 'green', weight: 10 }], hash_on: 'header', hash_on_header: 'x-user' },
});
const table = store.table;
const byName = (n) => table.upstreams.find((u) => u.name === n);
const service = (n) => table.services.find((s) => s.name === n);

// A pool of requests as the proxy sees them (headers as Node gives them).
const requests = Array.from({ length: 1024 }, (_, i) => ({ headers: { host: 'shop', 'x-user': `user-${i * 7919}` }, socket: { remoteAddress: '127.0.0.1' } }));
const NO_REGEX = [];

function time(label, pick) {
  for (let i = 0; i < Math.min(PICKS, 100_000); i++) pick(i); // warm up the JIT
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < PICKS; i++) if (pick(i) !== undefined) sink++;
  const ns = ((performance.now() - t0) * 1e6) / PICKS;
  if (sink !== PICKS) throw new Error(`${label}: ${PICKS - sink} picks found nothing`);
  return { label, nsPerPick: Math.round(ns * 10) / 10 };
}

const results = [];
for (const name of Object.keys(upstreams)) {
  const u = byName(name);
  results.push(
    time(`${name} (${TARGETS} targets)`, (i) => {
      const req = requests[i & 1023];
      const key = u.hash === null ? -1 : requestKey(u.hash, req, '/', '/', NO_REGEX);
      const t = pickTarget(u, null, key, i);
      // What the proxy does around an attempt for the algorithms that track load.
      if (u.tracksLoad) {
        attemptStarted(u, t);
        attemptEnded(u, t, 1 + (i & 7), i);
      }
      return t;
    }),
  );
}
for (const name of ['split', 'sticky']) {
  const s = service(name);
  results.push(
    time(name === 'split' ? 'service split 90/10 (smooth WRR)' : 'sticky service split 90/10 (hash_on header)', (i) => {
      const key = s.hash === null ? -1 : requestKey(s.hash, requests[i & 1023], '/', '/', NO_REGEX);
      return pickUpstream(s, null, key);
    }),
  );
}
process.stdout.write(`${JSON.stringify({ picks: PICKS, targets: TARGETS, results })}\n`);
