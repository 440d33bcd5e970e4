/** `switchyard serve` with options that do not go together: refused up front, before anything is bound. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { closedPort } from '../helpers/net.js';

const held: net.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function bind(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      held.push(s);
      resolve();
    });
  });
}

describe('switchyard serve, options checked before binding', () => {
  it('--data-plane haproxy without --haproxy exits non-zero naming --haproxy, and leaves its ports and state dir untouched', async () => {
    const [proxyPort, adminPort] = [await closedPort(), await closedPort()];
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-serve-options-'));
    dirs.push(stateDir);
    const r = await run(['serve', '--data-plane', 'haproxy', '--proxy-port', String(proxyPort), '--admin-port', String(adminPort), '--state-dir', stateDir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--data-plane haproxy needs at least one --haproxy');
    expect(r.stderr).not.toContain('serving');
    expect(fs.readdirSync(stateDir)).toEqual([]);
    await bind(proxyPort);
    await bind(adminPort);
  });

  it('names the bad combination first, even when the proxy port is taken', async () => {
    const [proxyPort, adminPort] = [await closedPort(), await closedPort()];
    await bind(proxyPort);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-serve-options-'));
    dirs.push(stateDir);
    const r = await run(['serve', '--data-plane', 'haproxy', '--proxy-port', String(proxyPort), '--admin-port', String(adminPort), '--state-dir', stateDir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--data-plane haproxy needs at least one --haproxy');
    expect(r.stderr).not.toContain('already in use');
  });
});
