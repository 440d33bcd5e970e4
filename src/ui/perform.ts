/**
 * The one place the UI's intents take effect: commands through `store.dispatch` (validated once,
 * in force for the very next request), undo, the deployer, an HAProxy fleet, the traffic
 * generator, files named on the `:` line, and the UI's own state. Every change flashes one line;
 * a refused one flashes the reason and changes nothing. What happens later (a resume, a fleet's
 * verdict) flashes when it is done.
 */
import type { Dispatch } from 'react';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command } from '../core/commands.js';
import type { Store } from '../core/store.js';
import { exportYaml, loadDeclarative } from '../config/yaml.js';
import { summarize } from '../dataplane/types.js';
import { parseManifest } from '../deploy/manifest.js';
import { askToForce } from './confirm.js';
import {
  abortedText,
  cleanedText,
  deployedText,
  deployingText,
  deploymentName,
  resumedText,
  resumingText,
} from './deployment-words.js';
import { errorText } from './errors.js';
import type { FlashLevel, UiAction } from './hooks/use-app-state.js';
import type { Intent } from './intent.js';
import type { DeployActions, FleetControl, TrafficControl } from './ports.js';

/** What intents act on. */
export interface Effects {
  readonly store: Store;
  readonly dispatch: Dispatch<UiAction>;
  /** Resumes, aborts and cleans up deployments (absent: no deployments here). */
  readonly deployer?: DeployActions | undefined;
  /** The HAProxy fleet the changes go to (absent: the in-process proxy, which takes every change at once). */
  readonly fleet?: FleetControl | undefined;
  /** The demo's traffic generator (absent: none here). */
  readonly traffic: TrafficControl | undefined;
  readonly onRate: (rate: number) => void;
  readonly quit: () => void;
}

function flash(c: Effects, level: FlashLevel, text: string): void {
  c.dispatch({ type: 'flash', level, text });
}

/**
 * With an HAProxy fleet, a change is in force once every instance took it: the instances that
 * did not (unreachable, refused commands, a reload needed) are named in red, never left unsaid.
 */
function followChange(c: Effects, summary: string): void {
  if (!c.fleet) return;
  c.fleet.verdict(c.store.table.version).then(
    (missed) => {
      if (missed) flash(c, 'error', `${summary}: ${missed}`);
    },
    (e: unknown) => flash(c, 'error', `${summary}: ${errorText(e)}`),
  );
}

/** A command through the store; one core wants confirmed is asked about, and applied with `force` when the operator says so. */
function apply(c: Effects, cmd: Command): void {
  try {
    const { summary } = c.store.dispatch(cmd, 'ui');
    flash(c, 'info', summary);
    followChange(c, summary);
  } catch (e) {
    const question = askToForce(e, cmd);
    if (question) return perform(c, [question]);
    flash(c, 'error', errorText(e));
  }
}

function undo(c: Effects): void {
  try {
    const { summary } = c.store.undo('ui');
    flash(c, 'info', summary);
    followChange(c, summary);
  } catch (e) {
    flash(c, 'error', errorText(e));
  }
}

/** `A`: the whole state to every HAProxy instance again; says what each did not take. */
function reapply(c: Effects, fleet: FleetControl): void {
  flash(c, 'info', 'applying the whole state again to every HAProxy instance…');
  fleet.reapply().then(
    (r) => {
      const clean = r.ok && !r.perInstance.some((i) => i.reloadNeeded);
      const text = summarize(r).split('\n').join('; ');
      flash(c, clean ? 'info' : 'error', clean ? text : `apply again: ${text}`);
    },
    (e: unknown) => flash(c, 'error', `apply again: ${errorText(e)}`),
  );
}

/** Files named on the `:` line are where the operator started switchyard, as in a shell. */
function fileOf(name: string): string {
  return path.resolve(process.cwd(), name);
}

function readText(file: string): string {
  try {
    return fs.readFileSync(fileOf(file), 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function deploy(c: Effects, deployer: DeployActions, file: string, noConfirm: boolean): void {
  const cwd = path.dirname(fileOf(file));
  const manifest = parseManifest(readText(file), file, { dir: cwd });
  flash(c, 'info', deployingText(manifest.id, manifest.version, file));
  deployer.deploy(manifest, { noConfirm, cwd }).then(
    (d) => flash(c, d.state === 'failed' ? 'error' : 'info', deployedText(d)),
    (e: unknown) => flash(c, 'error', `bg-deploy ${file}: ${errorText(e)}`),
  );
}

function resume(c: Effects, deployer: DeployActions, id: string): void {
  const d = c.store.state.deployments.find((x) => x.id === id);
  if (!d) return flash(c, 'error', `no deployment ${id}; the deployments pane lists them`);
  flash(c, 'info', resumingText(d));
  // The routes switch before the promise settles; it settles once the old version is retired.
  deployer.resume(d.id).then(
    (done) => flash(c, 'info', resumedText(done)),
    (e: unknown) => flash(c, 'error', `resuming ${deploymentName(d)} failed: ${errorText(e)}`),
  );
}

function performOne(c: Effects, intent: Intent): void {
  switch (intent.kind) {
    case 'ui':
      return c.dispatch(intent.action);
    case 'command':
      return apply(c, intent.command);
    case 'undo':
      return undo(c);
    case 'quit':
      return c.quit();
    case 'reapply':
      if (!c.fleet)
        return flash(
          c,
          'warning',
          'A re-applies the state to a fleet of HAProxy; here the in-process proxy carries the traffic',
        );
      return reapply(c, c.fleet);
    case 'rate': {
      if (!c.traffic)
        return flash(c, 'warning', 'no traffic generator here (it comes with "switchyard demo")');
      const now = c.traffic.setRate(intent.rate);
      c.onRate(now);
      return flash(c, 'info', `traffic generator: ${now} req/s${now === 0 ? ' (stopped; ] starts it)' : ''}`);
    }
    case 'config.check': {
      const state = loadDeclarative(readText(intent.file), { now: 0, newId: randomUUID }, intent.file);
      const counts = `${state.services.length} services, ${state.routes.length} routes, ${state.upstreams.length} upstreams`;
      return flash(c, 'info', `${intent.file}: ok (${counts})`);
    }
    case 'config.apply': {
      const now = Math.floor(Date.now() / 1000);
      const state = loadDeclarative(readText(intent.file), { now, newId: randomUUID }, intent.file);
      return apply(c, { op: 'state.replace', state });
    }
    case 'config.export':
      fs.writeFileSync(fileOf(intent.file), exportYaml(c.store.state, intent.flavour));
      return flash(c, 'info', `wrote the state to ${fileOf(intent.file)}`);
  }
  const deployer = c.deployer;
  if (!deployer) return flash(c, 'error', 'deployments are not available here');
  switch (intent.kind) {
    case 'deploy.start':
      return deploy(c, deployer, intent.file, intent.noConfirm);
    case 'deploy.resume':
      return resume(c, deployer, intent.id);
    case 'deploy.abort':
      return flash(c, 'info', abortedText(deployer.abort(intent.id)));
    case 'deploy.cleanup':
      return flash(c, 'info', cleanedText(deployer.cleanup(intent.id)));
  }
}

/** Does each intent in order; one that throws (a file that cannot be read, a deployer's refusal) flashes why. */
export function perform(c: Effects, intents: readonly Intent[]): void {
  for (const intent of intents) {
    try {
      performOne(c, intent);
    } catch (e) {
      flash(c, 'error', errorText(e));
    }
  }
}
