/**
 * What the UI needs of the world it steers, as small interfaces the composition root fills: the
 * deployer, an HAProxy fleet, a traffic generator. The UI imports none of their modules.
 */
import type { DeployEngine } from '../deploy/bg-deploy.js';
import type { ApplyResult } from '../dataplane/types.js';

/** What the keys and the `:` line need of the deployer: deploy and resume (async), abort and cleanup. */
export type DeployActions = Pick<DeployEngine, 'deploy' | 'resume' | 'abort' | 'cleanup'>;

/** What the keys need of an HAProxy fleet: push everything again, and learn which instances missed a change. */
export interface FleetControl {
  reapply(): Promise<ApplyResult>;
  /** Resolves once every instance took table `version` (null), or to a sentence naming those that did not, and why. */
  verdict(version: number): Promise<string | null>;
}

/** A traffic generator (the demo's), as far as the UI is concerned: `[`/`]` change its rate. */
export interface TrafficControl {
  readonly rate: number;
  /** The most requests per second it takes; the keys stop there. */
  readonly maxRate: number;
  /** Sets the rate (clamped); returns the rate in force. */
  setRate(rate: number): number;
  /** Distinct simulated users each upstream answered lately (the demo's user pool). */
  users?(): Readonly<Record<string, number>>;
}
