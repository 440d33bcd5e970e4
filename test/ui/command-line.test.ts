/** The `:` line: the CLI's verbs as the UI does them, the footer's hint, completion (#14). */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store.js';
import { completeLine, lineHint, parseLine } from '../../src/ui/command-line.js';

function state() {
  const s = new Store();
  s.dispatch({ op: 'upstream.create', fields: { name: 'shop-blue', targets: [{ target: '127.0.0.1:3001' }] } });
  s.dispatch({ op: 'upstream.create', fields: { name: 'shop-green', targets: [{ target: '127.0.0.1:3002' }] } });
  s.dispatch({ op: 'service.create', fields: { name: 'shop', host: 'shop-blue' } });
  return s.state;
}

describe('parseLine', () => {
  it('takes every verb of the CLI', () => {
    expect(parseLine('apps')).toEqual({ kind: 'pane', pane: 'apps' });
    expect(parseLine(':routes')).toEqual({ kind: 'pane', pane: 'services' });
    expect(parseLine('deployments')).toEqual({ kind: 'pane', pane: 'deployments' });
    expect(parseLine('logs web')).toEqual({ kind: 'log', app: 'web' });
    expect(parseLine('bg-deploy mtad.yaml --no-confirm')).toEqual({ kind: 'deploy.start', file: 'mtad.yaml', noConfirm: true });
    expect(parseLine('bg-deploy -i 12 -a resume')).toEqual({ kind: 'deploy.action', id: '12', action: 'resume' });
    expect(parseLine('config apply kong.yml')).toEqual({ kind: 'config.apply', file: 'kong.yml' });
    expect(parseLine('config check kong.yml')).toEqual({ kind: 'config.check', file: 'kong.yml' });
    expect(parseLine('config export out.yml --format kong')).toEqual({ kind: 'config.export', file: 'out.yml', flavour: 'kong' });
    expect(parseLine('switch shop shop-green')).toEqual({ kind: 'verb', verb: { op: 'service.switch', service: 'shop', upstream: 'shop-green' } });
    expect(parseLine('?')).toEqual({ kind: 'help' });
  });

  it('refuses with the usage, or the nearest verb', () => {
    expect(() => parseLine('logs')).toThrow("usage: logs APP (opens the app's log)");
    expect(() => parseLine('bg-deploy -i 12 -a monitor')).toThrow('bg-deploy -a monitor: the UI takes resume, abort or cleanup (the deployments pane monitors)');
    expect(() => parseLine('config')).toThrow('usage: config apply FILE | config check FILE | config export FILE [--format kong]');
    expect(() => parseLine('swich shop x')).toThrow("unknown command 'swich'; did you mean 'switch'? (tab completes, ↑ recalls)");
  });
});

describe('hint and completion', () => {
  it('lists the verbs, then says the usage of the one typed', () => {
    expect(lineHint('')).toContain('split switch weight');
    expect(lineHint('sp')).toBe('split  ·  tab completes, ↑ recalls');
    expect(lineHint('split ')).toBe('split SERVICE UPSTREAM=WEIGHT [UPSTREAM=WEIGHT…] [--sticky HOW] [--force]');
  });

  it('completes the verb, then the names it takes, as far as they agree', () => {
    const s = state();
    expect(completeLine('swi', s)).toEqual({ value: 'switch ', options: [] });
    expect(completeLine('switch s', s)).toEqual({ value: 'switch shop ', options: [] });
    expect(completeLine('switch shop s', s)).toEqual({ value: 'switch shop shop-', options: ['shop-blue', 'shop-green'] });
    expect(completeLine('split shop shop-g', s)).toEqual({ value: 'split shop shop-green=', options: [] });
    expect(completeLine('s', s).options).toEqual(['split', 'switch', 'start', 'stop']);
    expect(completeLine('zzz', s)).toEqual({ value: 'zzz', options: [] });
  });
});
