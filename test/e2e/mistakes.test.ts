/**
 * A tired operator's mistakes on the command line (#14): each is refused with a sentence that
 * names it, exit 1, and nothing is written or started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { distance, nearest } from '../../src/cli/mistakes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-mistakes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function refused(args: string[]): Promise<string> {
  const r = await run(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
  expect(r.stdout).toBe('');
  return r.stderr;
}

describe('unknown commands', () => {
  it('names the word and suggests the nearest command, instead of running the default with it', async () => {
    expect(await refused(['sreve'])).toBe("switchyard: unknown command 'sreve' for switchyard; did you mean 'serve'? (switchyard --help lists them)\n");
    expect(await refused(['dataplane', 'bogus'])).toBe("switchyard: unknown command 'bogus' for switchyard dataplane (commands: status, reapply)\n");
    expect(await refused(['config', 'exprot'])).toBe("switchyard: unknown command 'exprot' for switchyard config; did you mean 'export'? (commands: export, check, apply)\n");
  });

  it('measures typos as people make them', () => {
    expect(distance('sreve', 'serve')).toBe(1);
    expect(distance('deplyoments', 'deployments')).toBe(1);
    expect(nearest('rotes', ['routes', 'apps', 'restart'])).toEqual(['routes']);
    expect(nearest('zzz', ['routes', 'apps'])).toEqual([]);
  });
});

describe('flags', () => {
  it('config export --state-dir refuses a directory that is missing, and makes none', async () => {
    const missing = path.join(dir, 'no', 'such');
    expect(await refused(['config', 'export', '--state-dir', missing])).toBe(`switchyard: --state-dir ${missing} does not exist: give the directory a switchyard ran with (nothing was written)\n`);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
    // An existing directory without a state is the empty state: how HAProxy is bootstrapped.
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    expect(await run(['config', 'export', '--state-dir', empty])).toMatchObject({ code: 0, stdout: '_format_version: "3.0"\n' });
  });

  it('--bind must be an address HAProxy can bind', async () => {
    const out = path.join(dir, 'haproxy');
    const said = await refused(['config', 'export', '--format', 'haproxy', '--bind', 'nonsense', '-o', out]);
    expect(said).toContain("expected ADDRESS:PORT for HAProxy's bind, like 127.0.0.1:8080, :8080 or [::1]:8080; got 'nonsense'");
    expect(fs.existsSync(out)).toBe(false);
  });

  it('logs -n takes a number of lines', async () => {
    expect(await refused(['logs', 'web', '-n', 'abc'])).toContain("expected a number of lines 1..10000, got 'abc'");
  });

  it('--haproxy with --data-plane in-process is a contradiction, said before anything binds', async () => {
    const said = await refused(['serve', '--haproxy', '/tmp/none.sock', '--data-plane', 'in-process', '--proxy-port', '0', '--admin-port', '0', '--state-dir', path.join(dir, 's1')]);
    expect(said).toBe('switchyard: --haproxy /tmp/none.sock steers HAProxy, but the data plane is in-process: drop --data-plane in-process (--haproxy alone means --data-plane haproxy)\n');
  });

  it('--state-dir naming a file says so, and does not suggest --reset-state, which could not help', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const said = await refused(['serve', '--state-dir', file, '--proxy-port', '0', '--admin-port', '0']);
    expect(said).toBe(`switchyard: --state-dir ${file} is a file, not a directory: give a directory (it is made when missing)\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
