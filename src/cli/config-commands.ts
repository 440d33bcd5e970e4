/**
 * `config` (export, check, apply: Kong declarative YAML in and out, and HAProxy's configuration)
 * and `dataplane` (status, reapply): the commands about the state as a whole and where it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { exportYaml, loadDeclarative, readDeclarative } from '../config/yaml.js';
import { compile } from '../core/table.js';
import { DEFAULT_SPARES, exportHaproxy, TLS_PEM, writeHaproxy } from '../dataplane/index.js';
import { ConfStore, defaultStateDir } from '../persist/conf-store.js';
import { proxyKeyPair } from '../proxy/certs.js';
import { admin, clientOptions, printSkipped, readFile, type ClientFlags } from './options.js';
import { formatDataPlane } from './tables.js';

/** HAProxy's `bind`: `ADDRESS:PORT`, `:PORT`, `*:PORT` or `[IPv6]:PORT`. */
function bindAddress(value: string): string {
  const m = /^(\*|[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])?:(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new InvalidArgumentError(
      `expected ADDRESS:PORT for HAProxy's bind, like 127.0.0.1:8080, :8080 or [::1]:8080; got '${value}'`,
    );
  return value;
}

/**
 * The state saved in `dir`. A mistyped directory is an error, not an empty state (nor a new
 * directory); an existing one without a state file is the empty state (how an HAProxy
 * configuration is bootstrapped before the first start).
 */
function savedState(dir: string) {
  if (!fs.existsSync(dir))
    throw new Error(
      `--state-dir ${dir} does not exist: give the directory a switchyard ran with (nothing was written)`,
    );
  return new ConfStore({ dir }).load();
}

function parseSpares(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 1000)
    throw new InvalidArgumentError(`expected a number of spare backends 0..1000, got '${value}'`);
  return Number(value);
}

/** `config export|check|apply` and `dataplane status|reapply`. */
export function addConfigCommands(program: Command): void {
  const config = program.command('config').description('Kong declarative configuration (YAML)');
  clientOptions(config.command('export'))
    .description(
      'print the current state as Kong declarative YAML, or write an HAProxy configuration (from the running instance, or --state-dir)',
    )
    .addOption(
      new Option(
        '--format <format>',
        "switchyard: Kong's declarative YAML with switchyard's split and apps; kong: what Kong itself accepts; haproxy: haproxy.cfg and its map files",
      )
        .choices(['switchyard', 'kong', 'haproxy'])
        .default('switchyard'),
    )
    .option('--state-dir <dir>', 'read the saved state file instead of a running instance')
    .option(
      '-o, --output <path>',
      'kong: a file instead of stdout; haproxy: the directory for haproxy.cfg and its maps',
    )
    .addOption(
      new Option('--bind <addr>', 'haproxy: where HAProxy takes traffic, ADDRESS:PORT')
        .default('127.0.0.1:8080')
        .argParser(bindAddress),
    )
    .option(
      '--socket <path>',
      'haproxy: its runtime API socket (what --haproxy points at)',
      '/run/haproxy/switchyard.sock',
    )
    .option(
      '--spares <n>',
      'haproxy: empty backends for services added later, placed at runtime without a reload',
      parseSpares,
      DEFAULT_SPARES,
    )
    .addOption(
      new Option(
        '--tls-bind <addr>',
        'haproxy: also take HTTPS here, e.g. :443 (with --tls-cert/--tls-key, or the self-signed localhost certificate of the state directory)',
      ).argParser(bindAddress),
    )
    .option('--tls-cert <file>', 'haproxy: the certificate for --tls-bind (PEM)')
    .option('--tls-key <file>', 'haproxy: its private key (PEM)')
    .action(
      async (
        o: ClientFlags & {
          stateDir?: string;
          output?: string;
          format: string;
          bind: string;
          socket: string;
          spares: number;
          tlsBind?: string;
          tlsCert?: string;
          tlsKey?: string;
        },
      ) => {
        if (o.format !== 'haproxy' && (o.tlsBind ?? o.tlsCert ?? o.tlsKey) !== undefined)
          throw new Error('--tls-bind, --tls-cert and --tls-key go with --format haproxy');
        if (o.tlsBind === undefined && (o.tlsCert ?? o.tlsKey) !== undefined)
          throw new Error('--tls-cert and --tls-key need --tls-bind: where HAProxy takes HTTPS');
        const yaml =
          o.stateDir !== undefined ? exportYaml(savedState(o.stateDir)) : await admin(o).exportConfig();
        // Checked (or made) before anything is written, as the engine does before it binds.
        const keyPair =
          o.tlsBind === undefined
            ? null
            : await proxyKeyPair({
                certFile: o.tlsCert,
                keyFile: o.tlsKey,
                dir: o.stateDir ?? defaultStateDir(),
              });
        if (o.format === 'haproxy') {
          const state = loadDeclarative(yaml, { now: 0, newId: randomUUID }, 'state');
          const table = compile(state, 0);
          if (!o.output)
            throw new Error(
              '--format haproxy writes haproxy.cfg and two map files: give the directory with -o DIR',
            );
          fs.mkdirSync(o.output, { recursive: true });
          const tls =
            keyPair && o.tlsBind !== undefined
              ? { bind: o.tlsBind, cert: keyPair.cert, key: keyPair.key }
              : undefined;
          const file = writeHaproxy(o.output, table, {
            bind: o.bind,
            socket: o.socket,
            spares: o.spares,
            tls,
          });
          const pem = tls
            ? ` and ${path.join(path.resolve(o.output), TLS_PEM)} (certificate ${keyPair!.certFile}, SHA-256 ${keyPair!.fingerprint})`
            : '';
          process.stdout.write(
            `wrote ${file}, its map files${pem}; start it with: haproxy -f ${file}\nthen: switchyard serve --data-plane haproxy --haproxy ${o.socket}\n`,
          );
          for (const w of exportHaproxy(table, {
            bind: o.bind,
            socket: o.socket,
            mapsDir: o.output,
            spares: o.spares,
          }).warnings)
            process.stderr.write(`note: ${w}\n`);
          return;
        }
        let out = yaml;
        if (o.format === 'kong') {
          const notes: string[] = [];
          out = exportYaml(loadDeclarative(yaml, { now: 0, newId: randomUUID }, 'state'), 'kong', notes);
          for (const n of notes) process.stderr.write(`note: ${n}\n`);
        }
        if (o.output) fs.writeFileSync(o.output, out);
        else process.stdout.write(out);
      },
    );
  const dataplane = program
    .command('dataplane')
    .description('the data plane: its instances, drift, and re-applying the state');
  clientOptions(dataplane.command('status', { isDefault: true }))
    .description('each instance: reachable, drift, reload needed')
    .action(async (o: ClientFlags) => {
      process.stdout.write(formatDataPlane(await admin(o).get('/dataplane')));
    });
  clientOptions(dataplane.command('reapply'))
    .description('push the whole state to every instance again (after drift)')
    .action(async (o: ClientFlags) => {
      const r = (await admin(o).post('/dataplane/reapply')) as { summary: string };
      process.stdout.write(`${r.summary}\n`);
    });
  config
    .command('check <file>')
    .description('validate a declarative file without applying it')
    .option(
      '--skip-unsupported',
      'leave out what switchyard does not have (plugins, consumers, …) and list it',
    )
    .action((file: string, o: { skipUnsupported?: boolean }) => {
      const loaded = readDeclarative(
        readFile(file),
        { now: 0, newId: randomUUID },
        { source: file, skipUnsupported: o.skipUnsupported },
      );
      const { state } = loaded;
      process.stdout.write(
        `${file}: ok (${state.services.length} services, ${state.routes.length} routes, ${state.upstreams.length} upstreams)\n`,
      );
      printSkipped(loaded);
    });
  clientOptions(config.command('apply <file>'))
    .description('replace the running state with a declarative file (all or nothing)')
    .option(
      '--skip-unsupported',
      'leave out what switchyard does not have (plugins, consumers, …) and list it',
    )
    .action(async (file: string, o: ClientFlags & { skipUnsupported?: boolean }) => {
      const r = await admin(o).applyConfig(readFile(file), {
        source: path.basename(file),
        skipUnsupported: o.skipUnsupported,
      });
      process.stdout.write(`${r.summary}\n`);
      printSkipped(r);
    });
}
