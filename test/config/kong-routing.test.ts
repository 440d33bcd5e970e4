/**
 * The requests of test/fixtures/kong/requests.yaml through the real proxy: each fixture loaded
 * (skipping what switchyard does not have), every service pointed at a local backend that says
 * which service it is, what path it got and the X-Forwarded-* headers Kong sends, and each
 * request checked against what Kong does.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { readDeclarative } from '../../src/config/yaml.js';
import type { State } from '../../src/core/model.js';
import { Engine } from '../../src/engine.js';
import { request } from '../helpers/net.js';

const DIR = path.resolve(__dirname, '../fixtures/kong');
interface Case {
  host?: string;
  path: string;
  method?: string;
  route: string | null;
  service?: string;
  upstream_path?: string;
}
const CASES = YAML.parse(fs.readFileSync(path.join(DIR, 'requests.yaml'), 'utf8')) as Record<string, Case[]>;

let engine: Engine;
const servers: http.Server[] = [];

beforeAll(async () => {
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
}, 20_000);

afterAll(async () => {
  await engine?.stop(0);
  await Promise.all(servers.map((b) => new Promise<void>((r) => b.close(() => r()))));
});

/** A backend that says who it is, the path it got and the X-Forwarded-* headers it was sent. */
async function backend(name: string): Promise<number> {
  const b = http.createServer((req, res) =>
    res.end(
      JSON.stringify({
        service: name,
        path: req.url,
        forwarded: { host: req.headers['x-forwarded-host'], path: req.headers['x-forwarded-path'], prefix: req.headers['x-forwarded-prefix'] },
      }),
    ),
  );
  servers.push(b);
  await new Promise<void>((r) => b.listen(0, '127.0.0.1', () => r()));
  return (b.address() as AddressInfo).port;
}

/** The fixture's state with each service (or its upstream) sent to a backend of its own, its path kept. */
async function pointed(state: State): Promise<State> {
  const ports = new Map<string, number>();
  for (const s of state.services) ports.set(s.id, await backend(s.name ?? s.id));
  const byUpstream = new Map(state.services.map((s) => [s.host, ports.get(s.id)!]));
  return {
    ...state,
    upstreams: state.upstreams.map((u, i) => ({
      ...u,
      targets: byUpstream.has(u.name)
        ? [
            {
              id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
              target: `127.0.0.1:${byUpstream.get(u.name)}`,
              weight: 100,
              created_at: 1,
              tags: null,
            },
          ]
        : [],
    })),
    services: state.services.map((s) =>
      state.upstreams.some((u) => u.name === s.host)
        ? s
        : { ...s, host: '127.0.0.1', port: ports.get(s.id)! },
    ),
  };
}

describe('requests routed as Kong routes them', () => {
  for (const [file, cases] of Object.entries(CASES)) {
    it(
      file,
      async () => {
        const loaded = readDeclarative(
          fs.readFileSync(path.join(DIR, file), 'utf8'),
          { now: 1, newId: () => crypto.randomUUID() },
          { source: file, skipUnsupported: true },
        );
        engine.store.dispatch({ op: 'state.replace', state: await pointed(loaded.state) }, 'test');
        const routeOf = new Map(loaded.state.routes.map((r) => [r.name ?? r.id, r]));
        for (const c of cases) {
          const reply = await request(engine.proxyAddress.port, {
            host: c.host ?? 'any.test',
            path: c.path,
            method: c.method ?? 'GET',
          });
          const what = `${c.method ?? 'GET'} ${c.host ?? ''}${c.path}`;
          if (c.route === null) {
            expect(reply.status, what).toBe(404);
            continue;
          }
          expect(routeOf.has(c.route), what).toBe(true);
          expect(reply.status, what).toBe(200);
          const got = JSON.parse(reply.body) as { service: string; path: string; forwarded: { host?: string; path?: string; prefix?: string } };
          expect({ service: got.service, path: got.path }, what).toEqual({ service: c.service, path: c.upstream_path });
          // The headers Kong sends: the client's host (no port) and path as received, and what strip_path cut.
          expect(got.forwarded.host, what).toBe((c.host ?? 'any.test').toLowerCase());
          expect(got.forwarded.path, what).toBe(c.path.split('?')[0]);
          if (got.forwarded.prefix !== undefined) expect(c.path.startsWith(got.forwarded.prefix), what).toBe(true);
        }
      },
    );
  }
});
