/**
 * What the CLI's command groups share: the client flags of a command that steers a running
 * instance (and the client they make), reading a file the user named, and saying what a
 * declarative file left out.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { describeSkipped, type SkippedEntity, type SkippedOnRoute } from '../config/yaml.js';
import { AdminClient } from './client.js';

/** `--admin URL` and `--admin-token TOKEN`, as commander hands them to an action. */
export interface ClientFlags {
  admin?: string;
  adminToken?: string;
}

export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--admin <url>', 'admin API of the running switchyard (env SWITCHYARD_ADMIN)', undefined)
    .option('--admin-token <token>', 'bearer token for the admin API (env SWITCHYARD_ADMIN_TOKEN)');
}

/** The client of the instance the flags (or the environment) name. */
export function admin(o: ClientFlags): AdminClient {
  return new AdminClient(
    o.admin ?? process.env.SWITCHYARD_ADMIN ?? 'http://127.0.0.1:8001',
    o.adminToken ?? process.env.SWITCHYARD_ADMIN_TOKEN,
  );
}

export function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** What a file left out, route by route on stdout; each route now open to anyone, a warning on stderr. */
export function printSkipped(loaded: {
  skipped: readonly SkippedEntity[];
  routes: readonly SkippedOnRoute[];
}): void {
  const { lines, warnings } = describeSkipped(loaded);
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  for (const w of warnings) process.stderr.write(`WARNING: ${w}\n`);
}
