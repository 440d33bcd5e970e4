import { Text } from 'ink';
import type { Flash, Mode } from '../hooks/use-app-state.js';
import { truncate, width as cells } from '../format.js';
import { SYMBOLS, useTheme } from '../theme.js';
import { Line, type Segment } from './Line.js';

export interface BottomLineProps {
  readonly mode: Mode;
  readonly flash: Flash | null;
  readonly width: number;
}

/** The line above the footer: the open prompt, picker or confirmation, else the last flash message. */
export function BottomLine({ mode, flash, width }: BottomLineProps) {
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
    // The buttons always show; the question gives way.
    const buttons = 12 + cells(mode.confirmLabel) + 4;
    return (
      <Line
        segments={[
          {
            text: ` ${SYMBOLS.warning} ${truncate(mode.message, Math.max(10, width - 1 - buttons - 5))}  `,
            color: theme.tone('warning'),
            bold: true,
          },
          { text: cancel ? `${SYMBOLS.cursor} Cancel ` : '  Cancel ', inverse: cancel, bold: cancel },
          { text: '  ' },
          {
            text: !cancel ? `${SYMBOLS.cursor} ${mode.confirmLabel} ` : `  ${mode.confirmLabel} `,
            inverse: !cancel,
            bold: !cancel,
            color: theme.tone('error'),
          },
        ]}
      />
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
}
