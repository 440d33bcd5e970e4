/**
 * The line a CLI verb prints, from core's outcome: core's summary, except the sentences scripts
 * read since before core had one (a target's weight, a removed target, a deleted app).
 */
import { describe, expect, it } from 'vitest';
import { sentence } from '../../src/cli/verb-commands.js';
import { parseCommandLine } from '../../src/verbs/language.js';

const reply = (summary: string, entity: unknown = null) => ({ summary, entity });

describe('sentence', () => {
  it("words a target's weight, a removed target and a deleted app as the CLI always did", () => {
    const target = { target: '127.0.0.2:8000', weight: 7 };
    expect(
      sentence(
        parseCommandLine('weight u 127.0.0.2 7'),
        reply('target 127.0.0.2:8000 in u: weight 100 → 7', target),
      ),
    ).toBe('target 127.0.0.2:8000: weight 7');
    expect(
      sentence(
        parseCommandLine('add-target u 127.0.0.2 7'),
        reply('target 127.0.0.2:8000 added to u (weight 7)', target),
      ),
    ).toBe('target 127.0.0.2:8000: weight 7');
    // The target as it was typed, as the path of Kong's DELETE named it.
    expect(
      sentence(parseCommandLine('remove-target u 127.0.0.2'), reply('target 127.0.0.2:8000 removed from u')),
    ).toBe('removed target 127.0.0.2 from upstream u');
    expect(sentence(parseCommandLine('delete web'), reply('app web deleted'))).toBe('deleted app web');
  });

  it("is core's summary for every other verb", () => {
    for (const line of [
      'split s a=1',
      'switch s a',
      'undo',
      'stop web',
      'map-route web example.com --hostname x',
    ]) {
      expect(sentence(parseCommandLine(line), reply(`core said ${line}`))).toBe(`core said ${line}`);
    }
  });
});
