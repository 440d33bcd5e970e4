/**
 * The questions asked before something is given up: a dangerous binding (deleting an app or a
 * target, aborting or cleaning up a deployment) and a change core wants confirmed (a split that
 * would send a service nowhere). Cancel is the default; what is confirmed is an intent, kept in
 * the dialog until Enter.
 */
import type { Command } from '../core/commands.js';
import { isSwitchyardError } from '../core/errors.js';
import { abortQuestion, cleanupQuestion } from './deployment-words.js';
import type { Effect } from './hooks/use-app-state.js';
import { setMode, type Intent, type KeyView } from './intent.js';

/** Opens a confirmation of `effect`, Cancel selected. */
export function ask(message: string, confirmLabel: string, effect: Effect): Intent {
  return setMode({ kind: 'confirm', message, confirmLabel, effect, choice: 'cancel' });
}

/** The question before a command that deletes (`d` on an app, `:delete`, `:remove-target`). */
export function askBefore(cmd: Command): Intent {
  const effect: Effect = { kind: 'command', command: cmd };
  switch (cmd.op) {
    case 'target.delete':
      return ask(`Remove target ${cmd.target} from ${cmd.upstream}?`, 'Remove', effect);
    case 'app.delete':
      return ask(
        `Delete app ${cmd.app}, its route mappings and its processes? Its routes serve their other apps.`,
        'Delete',
        effect,
      );
    default:
      return ask(`Apply ${cmd.op}?`, 'Apply', effect);
  }
}

/**
 * When the store refused `cmd` for want of a confirmation (a split or switch that would leave a
 * service nothing to send to), the question that applies it with `force`; otherwise undefined.
 */
export function askToForce(e: unknown, cmd: Command): Intent | undefined {
  if (!isSwitchyardError(e) || e.code !== 'confirmation required') return undefined;
  if (cmd.op !== 'service.split' && cmd.op !== 'service.switch') return undefined;
  return ask(`Send ${e.fields.service} nowhere (${e.fields.why})? Every request would get 503`, 'Do it', {
    kind: 'command',
    command: { ...cmd, force: true },
  });
}

/**
 * What a dangerous binding does instead of acting: the effects among its intents become the
 * question (the rest, a refusal say, stay as they are).
 */
export function confirmFirst(view: KeyView, intent: Intent): Intent {
  switch (intent.kind) {
    case 'command':
      return askBefore(intent.command);
    case 'deploy.abort':
    case 'deploy.cleanup': {
      const d = view.state.deployments.find((x) => x.id === intent.id);
      if (!d) return intent;
      if (intent.kind === 'deploy.abort') return ask(abortQuestion(d), 'Abort', intent);
      const row = view.deployments.find((r) => r.deployment.id === intent.id);
      return ask(cleanupQuestion(d, row), 'Clean up', intent);
    }
    default:
      return intent;
  }
}
