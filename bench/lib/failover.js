/**
 * A target killed under load: how long until switchyard marks it down (passive health: the
 * requests that meet it closed), and how many requests fail meanwhile (goal 0: connect failures
 * are retried on the other targets). The test suite checks that it happens; the time lives here.
 *
 * Run by bench/experiments/failover.js as a child process (`node bench/lib/failover.js --rounds N`); prints one
 * JSON object on stdout. Everything on 127.0.0.1.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { Engine } from '../../dist/engine.js';
import { percentiles, sleep } from './http.js';

const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(opt.rounds);

function backend(name) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(name));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, address: `127.0.0.1:${server.address().port}` })));
}

async function round() {
  const pool = await Promise.all(['t1', 't2', 't3'].map(backend));
  const engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    engine.store.dispatch({ op: 'upstream.create', fields: { name: 'pool', targets: pool.map((b) => ({ target: b.address })) } });
    engine.store.dispatch({ op: 'service.create', fields: { name: 's', host: 'pool' } });
    engine.store.dispatch({ op: 'route.create', service: 's', fields: { hosts: ['pool.localhost'] } });
    const port = engine.proxyAddress.port;
    let ok = 0;
    let failed = 0;
    let stop = false;
    const get = () =>
      new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host: 'pool.localhost' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('error', () => resolve(false));
      });
    const clients = Array.from({ length: 4 }, async () => {
      while (!stop) {
        if (await get()) ok++;
        else failed++;
      }
    });
    while (ok < 500) await sleep(10);
    const victim = pool[1];
    const entry = () => engine.store.table.upstreams[0].targets.find((t) => t.address === victim.address);
    const t0 = performance.now();
    victim.server.closeAllConnections();
    victim.server.close();
    while (entry().health.healthy) {
      if (performance.now() - t0 > 30_000) throw new Error('the killed target was never marked down');
      await new Promise((r) => setImmediate(r));
    }
    const ms = performance.now() - t0;
    const after = ok;
    while (ok < after + 500) await sleep(10);
    stop = true;
    await Promise.all(clients);
    return { ms, failed, requests: ok + failed };
  } finally {
    agent.destroy();
    await engine.stop(500);
    for (const b of pool) {
      b.server.closeAllConnections();
      b.server.close();
    }
  }
}

const rounds = [];
for (let i = 0; i < ROUNDS; i++) rounds.push(await round());
process.stdout.write(
  `${JSON.stringify({
    rounds: ROUNDS,
    markedDownMs: percentiles(rounds.map((r) => r.ms)),
    failed: rounds.reduce((a, r) => a + r.failed, 0),
    requests: rounds.reduce((a, r) => a + r.requests, 0),
  })}\n`,
);
