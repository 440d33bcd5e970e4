/**
 * Typing mistakes on the command line, caught before commander runs a default command with them
 * (`switchyard sreve` would open the UI with a stray argument): the unknown word is named, with
 * the nearest command when one is close.
 */
import type { Command } from 'commander';

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps): `sreve` → `serve` is 1. */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The names closest to `word` (at most a third of its letters off), nearest first. */
export function nearest(word: string, names: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  return names
    .map((n) => [n, distance(word, n)] as const)
    .filter(([n, d]) => d <= limit || (word.length >= 3 && n.startsWith(word)))
    .sort((x, y) => x[1] - y[1])
    .map(([n]) => n);
}

/**
 * The sentence for the first word of `args` that is not a command where a command is expected
 * (a command with subcommands takes no bare word of its own), or null.
 */
export function unknownCommand(program: Command, args: readonly string[]): string | null {
  let cmd = program;
  const path: string[] = [];
  for (const word of args) {
    if (word.startsWith('-')) return null;
    const subs = cmd.commands;
    if (subs.length === 0) return null;
    const next = subs.find((c) => c.name() === word || c.aliases().includes(word));
    if (next) {
      cmd = next;
      path.push(word);
      continue;
    }
    if (word === 'help') return null; // commander's own help command
    const names = subs.map((c) => c.name());
    const near = nearest(word, names);
    const where = path.length ? `switchyard ${path.join(' ')}` : 'switchyard';
    const hint = near.length ? `; did you mean ${near.slice(0, 2).map((n) => `'${n}'`).join(' or ')}?` : '';
    const list = names.length > 8 ? `${where} --help lists them` : `commands: ${names.join(', ')}`;
    return `unknown command '${word}' for ${where}${hint} (${list})`;
  }
  return null;
}
