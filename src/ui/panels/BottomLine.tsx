/** The line above the footer, drawn: the open prompt, picker or confirmation, else the last flash. */
import { memo } from 'react';
import { Box, Text } from 'ink';
import type { Flash, Mode } from '../hooks/use-app-state.js';
import { truncate, width as cells } from '../format.js';
import { SYMBOLS, useTheme } from '../theme.js';
import { Line, type Segment } from './Line.js';

export interface BottomLineProps {
  readonly mode: Mode;
  readonly flash: Flash | null;
  readonly width: number;
  /** Lines it may take: a confirmation with two has its question above its buttons, whole. */
  readonly lines?: number;
}

/** The line above the footer: the open prompt, picker or confirmation, else the last flash message. */
export const BottomLine = memo(function BottomLine({ mode, flash, width, lines = 1 }: BottomLineProps) {
  const theme = useTheme();
  if (mode.kind === 'prompt') {
    return (
      <Line
        segments={[
          { text: ` ${mode.label}`, color: theme.tone('accent'), bold: true },
          { text: mode.value },
          { text: ' ', inverse: true },
        ]}
      />
    );
  }
  if (mode.kind === 'picker') {
    const segs: Segment[] = [{ text: ` ${mode.label}  `, color: theme.tone('accent'), bold: true }];
    mode.options.forEach((o, i) =>
      segs.push(
        {
          text: i === mode.index ? `${SYMBOLS.cursor} ${o} ` : `  ${o} `,
          inverse: i === mode.index,
          bold: i === mode.index,
        },
        { text: ' ' },
      ),
    );
    return <Line segments={segs} />;
  }
  if (mode.kind === 'confirm') {
    const cancel = mode.choice === 'cancel';
    const buttons: Segment[] = [
      { text: cancel ? `${SYMBOLS.cursor} Cancel ` : '  Cancel ', inverse: cancel, bold: cancel },
      { text: '  ' },
      {
        text: !cancel ? `${SYMBOLS.cursor} ${mode.confirmLabel} ` : `  ${mode.confirmLabel} `,
        inverse: !cancel,
        bold: !cancel,
        color: theme.tone('error'),
      },
    ];
    const room = lines > 1 ? width - 4 : width - 1 - (12 + cells(mode.confirmLabel) + 4) - 5;
    const question: Segment = {
      text: ` ${SYMBOLS.warning} ${truncate(mode.message, Math.max(10, room))}  `,
      color: theme.tone('warning'),
      bold: true,
    };
    // On one line the buttons always show and the question gives way.
    if (lines <= 1) return <Line segments={[question, ...buttons]} />;
    return (
      <Box flexDirection="column">
        <Line segments={[question]} />
        <Line segments={[{ text: '   ' }, ...buttons]} />
      </Box>
    );
  }
  if (!flash) return <Text> </Text>;
  const symbol =
    flash.level === 'info' ? SYMBOLS.info : flash.level === 'warning' ? SYMBOLS.warning : SYMBOLS.error;
  const tone =
    flash.level === 'info'
      ? theme.tone('live')
      : flash.level === 'warning'
        ? theme.tone('warning')
        : theme.tone('error');
  return (
    <Line
      segments={[
        { text: ` ${symbol} `, color: tone, bold: true },
        { text: flash.text, color: flash.level === 'info' ? undefined : tone },
      ]}
    />
  );
});
