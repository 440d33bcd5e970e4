/** A pane's title rule, which says whether the pane has the keys. */
import { padEnd, width as cells } from '../format.js';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface SectionTitleProps {
  readonly title: string;
  /** The pane has the keyboard. */
  readonly focused: boolean;
  /** Right-hand note: filter, scroll position. */
  readonly note?: string;
  readonly width: number;
}

/** `── Title ─── note ──`, bold and coloured when its pane has the keyboard. */
export function SectionTitle({ title, focused, note, width }: SectionTitleProps) {
  const theme = useTheme();
  const head = focused ? `━━ ${title} ` : `── ${title} `;
  const tail = note ? ` ${note} ──` : '';
  const rule = Math.max(0, width - 1 - cells(head) - cells(tail));
  return (
    <Line
      segments={[
        { text: head, bold: focused, color: focused ? theme.tone('accent') : undefined, dim: !focused },
        {
          text: padEnd('', rule).replace(/ /g, focused ? '━' : '─'),
          color: focused ? theme.tone('accent') : undefined,
          dim: !focused,
        },
        { text: tail, dim: !focused },
      ]}
    />
  );
}
