/**
 * The verbs that steer a running instance (split, switch, weight, …, Kf's push to delete) and the
 * ones that show it (apps, routes, logs). A change verb is parsed by the shared language into a
 * core command and posted as it is (`POST /commands`); what it prints is core's summary, worded
 * the CLI's way in one place (`sentence`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { detectCommand } from '../apps/detect.js';
import { parseVerb, VERBS, type Verb } from '../verbs/language.js';
import type { CommandReply } from './client.js';
import { admin, clientOptions, type ClientFlags } from './options.js';
import { formatApps, formatRoutes } from './tables.js';

/** What the verbs that only show things do (the CLI prints them; the UI has panes for them). */
const SHOWS = {
  apps: 'list apps: state, instances, routes and the share of each (as kf apps)',
  routes: 'list routes and the apps on each, with weights and shares (as kf routes)',
  logs: "print an app's recent log lines",
} as const;

/**
 * The line a change prints: core's summary, except for the verbs whose sentence the CLI said
 * before core had one (scripts read them): a target's weight, a removed target, a deleted app.
 */
export function sentence(verb: Verb, reply: CommandReply): string {
  switch (verb.op) {
    case 'target.create':
    case 'target.update': {
      const t = reply.entity as { target: string; weight: number };
      return `target ${t.target}: weight ${t.weight}`;
    }
    case 'target.delete':
      // As typed: `remove-target u 10.0.0.1` removed what it named.
      return `removed target ${verb.target} from upstream ${verb.upstream}`;
    case 'app.delete':
      return `deleted app ${verb.app}`;
    default:
      return reply.summary;
  }
}

/** The app a verb waits for until its instances answer (`kf push` waits for the app to start), or null. */
function startedApp(verb: Verb): string | null {
  if (verb.op === 'app.push') return verb.fields.name as string;
  return verb.op === 'app.start' || verb.op === 'app.restart' ? verb.app : null;
}

/** Every verb of the shared language, as a command whose words the language's parser reads. */
export function addVerbCommands(program: Command): void {
  for (const v of VERBS) {
    const [, ...args] = v.usage.split(' ');
    const cmd = program
      .command(v.name)
      .description(v.summary)
      .usage(args.join(' '))
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .argument('[args...]');
    // The verb's own flags are parsed by the one parser the UI's `:` line uses too.
    clientOptions(cmd).action(async function (this: Command, _rest: string[], o: ClientFlags) {
      let verb = parseVerb([v.name, ...this.args], { cwd: process.cwd() });
      if (verb.op === 'app.push' && verb.fields.command === undefined && verb.fields.targets === undefined) {
        // As `kf push` does: the app in the current directory says how it runs.
        const found = detectCommand(process.cwd());
        if (found) {
          process.stdout.write(`using "${found.command}" from ${found.from}\n`);
          verb = { ...verb, fields: { ...verb.fields, command: found.command, cwd: process.cwd() } };
        }
      }
      const client = admin(o);
      process.stdout.write(`${sentence(verb, await client.command(verb))}\n`);
      const app = startedApp(verb);
      if (app !== null) process.stdout.write(`${await client.waitForApp(app)}\n`);
    });
  }
}

function lineCount(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000)
    throw new InvalidArgumentError(`expected a number of lines 1..10000, got '${value}'`);
  return value;
}

/** `apps`, `routes` and `logs`. */
export function addShowCommands(program: Command): void {
  clientOptions(program.command('apps').description(SHOWS.apps)).action(async (o: ClientFlags) => {
    process.stdout.write(formatApps(await admin(o).get('/apps')));
  });
  clientOptions(program.command('routes').description(SHOWS.routes)).action(async (o: ClientFlags) => {
    process.stdout.write(formatRoutes(await admin(o).get('/app-routes')));
  });
  clientOptions(program.command('logs <app>').description(SHOWS.logs))
    .addOption(new Option('-n, --lines <n>', 'how many lines (1..10000)').default('100').argParser(lineCount))
    .action(async (app: string, o: ClientFlags & { lines: string }) => {
      process.stdout.write(
        await admin(o).text(`/apps/${encodeURIComponent(app)}/logs?lines=${encodeURIComponent(o.lines)}`),
      );
    });
}
