/**
 * `switchyard` on the command line: the program, its command groups in the order help lists them
 * (the engine's surfaces; config and data plane; the verbs that steer a running instance;
 * bg-deploy; what shows it), and one way to say an error.
 */
import { Command } from 'commander';
import { isSwitchyardError } from '../core/errors.js';
import { StateFileError } from '../persist/conf-store.js';
import { addConfigCommands } from './config-commands.js';
import { addDeployCommands } from './deploy.js';
import { addEngineCommands, VERSION } from './engine-commands.js';
import { unknownCommand } from './mistakes.js';
import { addShowCommands, addVerbCommands } from './verb-commands.js';

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description(
      'Blue-green deployments and weighted traffic shifting from the terminal, with a weighted HTTP proxy inside.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'switchyard: ')) });
  addEngineCommands(program);
  addConfigCommands(program);
  addVerbCommands(program);
  addDeployCommands(program);
  addShowCommands(program);
  return program;
}

/** Formats any error as the lines a person needs, never a stack trace. */
export function describeError(e: unknown): string {
  if (isSwitchyardError(e)) {
    const fields = Object.entries(e.fields);
    // A file's errors are listed in its message already (`kong.yml: 3 errors: …`).
    const said =
      e.message.includes('\n') &&
      fields.every(([k, v]) => e.message.includes(k === '@entity' ? v : `${k}: ${v}`));
    if (e.code === 'schema violation' && fields.length && !said)
      return `invalid input:\n${fields.map(([k, v]) => `  ${k}: ${v}`).join('\n')}`;
    return e.message;
  }
  if (e instanceof StateFileError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = buildProgram();
    const mistake = unknownCommand(program, argv.slice(2));
    if (mistake) throw new Error(mistake);
    await program.parseAsync([...argv]);
  } catch (e) {
    const text = describeError(e);
    process.stderr.write(text.startsWith('switchyard ') ? `${text}\n` : `switchyard: ${text}\n`);
    process.exit(1);
  }
}
