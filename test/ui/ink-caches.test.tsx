// Ink's per-frame memos shared across frames (src/ui/ink-caches.ts): the same frames, less work.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import React from 'react';
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { shareInkCaches } from '../../src/ui/ink-caches.js';

interface Caches {
  getStyledChars(line: string): unknown[];
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}
type OutputClass = new (o: { width: number; height: number }) => { caches: Caches };

async function inkOutput(): Promise<OutputClass> {
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('ink')), 'output.js');
  return ((await import(pathToFileURL(file).href)) as { default: OutputClass }).default;
}

function Panel({ n }: { n: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" width={40}>
      <Text color="green">
        blue <Text bold>{n}</Text> req/s
      </Text>
      <Text color="yellow">green 界 {n * 2}</Text>
    </Box>
  );
}

function frames(): string[] {
  const r = render(<Panel n={1} />);
  const out = [r.lastFrame() ?? ''];
  for (const n of [2, 1, 3]) {
    r.rerender(<Panel n={n} />);
    out.push(r.lastFrame() ?? '');
  }
  r.unmount();
  return out;
}

describe("Ink's memos shared across frames", () => {
  it('draws the same frames as Ink does alone, and shares what it worked out between frames', async () => {
    const Output = await inkOutput();
    const line = '\u001b[32mblue\u001b[39m 42';
    // Ink alone: each frame's Output makes its own memos.
    expect(new Output({ width: 1, height: 1 }).caches.getStyledChars(line)).not.toBe(
      new Output({ width: 1, height: 1 }).caches.getStyledChars(line),
    );
    const before = frames();

    expect(await shareInkCaches()).toBe(true);
    expect(await shareInkCaches()).toBe(true);
    expect(frames()).toEqual(before);
    const a = new Output({ width: 1, height: 1 }).caches;
    const b = new Output({ width: 1, height: 1 }).caches;
    expect(b.getStyledChars(line)).toBe(a.getStyledChars(line));
    expect(b.getStringWidth('界 wide')).toBe(7);
    expect(b.getWidestLine('ab\n界界界')).toBe(6);
  });

  it('carries over what the frame before used, and drops the rest', async () => {
    const Output = await inkOutput();
    expect(await shareInkCaches()).toBe(true);
    const frame = () => new Output({ width: 1, height: 1 }).caches;
    const a = frame();
    const gone = a.getStyledChars('left the screen');
    const kept = a.getStyledChars('stays');
    const b = frame();
    expect(b.getStyledChars('stays')).toBe(kept);
    const c = frame();
    expect(c.getStyledChars('stays')).toBe(kept);
    const back = c.getStyledChars('left the screen');
    expect(back).not.toBe(gone);
    expect(back).toEqual(gone);
  });
});
