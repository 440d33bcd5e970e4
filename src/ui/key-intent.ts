/**
 * One key → what it asks for, routed by what is open: the panes, a dialog, the help or an app's
 * log. Pure (the key and a KeyView in, intents out), so every key's meaning is tested without
 * rendering; ctrl-c quits from anywhere.
 */
import type { Key } from 'ink';
import { dialogIntents } from './dialog-keys.js';
import { NORMAL, setMode, ui, type Intent, type KeyView } from './intent.js';
import { resolve } from './keymap.js';
import { paneIntents } from './pane-keys.js';

/** The help and the log take the same keys: close, and scroll (the log counts up from the newest line: ↑ shows older ones). */
function overlayIntents(v: KeyView, typed: string, key: Key): Intent[] {
  const b = resolve(['help'], typed, key);
  if (!b) return [];
  if (b.action === 'help.close') return [setMode(NORMAL)];
  if (v.ui.mode.kind === 'log')
    return [ui({ type: 'log.scroll', delta: b.action === 'help.up' ? 1 : -1, max: v.logOverflow })];
  return [ui({ type: 'help.scroll', delta: b.action === 'help.down' ? 1 : -1, max: v.helpOverflow })];
}

export function keyIntents(v: KeyView, typed: string, key: Key): Intent[] {
  const mode = v.ui.mode.kind;
  if (mode === 'normal') return paneIntents(v, typed, key);
  if (key.ctrl && typed === 'c') return [{ kind: 'quit' }];
  if (mode === 'help' || mode === 'log') return overlayIntents(v, typed, key);
  return dialogIntents(v, typed, key);
}
