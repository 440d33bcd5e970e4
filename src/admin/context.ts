/**
 * What the admin API is built from (the engine's pieces it is given) and what its feature
 * modules share: the options, the node's id and switchyard's version.
 */
import fs from 'node:fs';
import type { Supervisor } from '../apps/supervisor.js';
import type { Store } from '../core/store.js';
import type { DataPlane } from '../dataplane/index.js';
import type { DeployEngine } from '../deploy/bg-deploy.js';
import type { ProxyServer } from '../proxy/server.js';
import type { Stats } from '../proxy/stats.js';

export interface AdminOptions {
  store: Store;
  stats: Stats;
  proxy: ProxyServer;
  /** Runs app processes; its status and logs are served under /apps. */
  supervisor?: Supervisor;
  /** Blue-green deployments, served under /deployments. */
  deployer?: DeployEngine;
  /** The data plane in use, for /dataplane (its instances, drift, re-apply). */
  dataPlane?: () => DataPlane | undefined;
  host: string;
  port: number;
  /** When set, every request must carry it (`Authorization: Bearer …` or `Kong-Admin-Token`). */
  token?: string;
  /** The engine's own description for `GET /` (proxy/admin URLs, state file, readonly). */
  info: () => unknown;
}

/** What a feature module is mounted with. */
export interface AdminContext extends AdminOptions {
  /** This node's id (Kong's `node_id`), one per admin server. */
  readonly nodeId: string;
}

export const VERSION = readVersion();

function readVersion(): string {
  try {
    // src/admin/ and dist/admin/ both sit two levels below package.json.
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
