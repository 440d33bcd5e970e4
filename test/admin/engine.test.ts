/** The admin server as the engine composes it. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../src/admin/server.js';
import { Engine } from '../../src/engine.js';
import { closedPort } from '../helpers/net.js';
import { call } from './harness.js';

describe('admin server in the engine', () => {
  const engines: Engine[] = [];

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop(0)));
  });

  it('describes the engine on GET /', { timeout: 5000 }, async () => {
    const e = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    engines.push(e);
    const root = await call(e.adminUrl, '/');
    expect(root.status).toBe(200);
    expect(root.body.switchyard).toEqual({
      proxy: e.proxyUrl,
      admin: e.adminUrl,
      stateFile: null,
      readonly: false,
    });
  });

  it('names --admin-port when the port is taken', { timeout: 5000 }, async () => {
    const e = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    engines.push(e);
    const second = new AdminServer({
      store: e.store,
      stats: e.stats,
      proxy: e.proxy,
      host: '127.0.0.1',
      port: e.adminAddress.port,
      info: () => undefined,
    });
    await expect(second.listen()).rejects.toThrow(/--admin-port/);
    await second.close();
  });
});

describe('Engine.start that fails', () => {
  const held: net.Server[] = [];
  let tmp: string | undefined;
  const savedTmpdir = process.env.TMPDIR;

  afterEach(async () => {
    await Promise.all(held.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  /** Binds 127.0.0.1:port ourselves: resolves once bound, rejects (e.g. EADDRINUSE) if it cannot be. */
  function bind(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        held.push(s);
        resolve(s);
      });
    });
  }

  /** A memory-only engine makes its log directory under os.tmpdir(): point that at one we can look into. */
  function privateTmpdir(): string {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-engine-test-'));
    process.env.TMPDIR = tmp;
    return tmp;
  }

  it('rejects --data-plane haproxy without --haproxy, and leaves both ports free and nothing behind', async () => {
    const [proxyPort, adminPort] = [await closedPort(), await closedPort()];
    const dir = privateTmpdir();
    await expect(Engine.start({ persist: false, proxyPort, adminPort, dataPlane: 'haproxy' })).rejects.toThrow('--data-plane haproxy needs at least one --haproxy');
    await bind(proxyPort);
    await bind(adminPort);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a failure after the proxy listens (the admin port taken) releases the proxy port and removes what it made', async () => {
    const [proxyPort, adminPort] = [await closedPort(), await closedPort()];
    await bind(adminPort);
    const dir = privateTmpdir();
    await expect(Engine.start({ persist: false, proxyPort, adminPort })).rejects.toThrow(`admin port 127.0.0.1:${adminPort} is already in use`);
    await bind(proxyPort);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
