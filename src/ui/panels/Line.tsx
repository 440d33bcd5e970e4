/** One terminal line made of styled segments, cut (never wrapped) to fit. */
import { memo } from 'react';
import { Text } from 'ink';
import { same } from '../../core/same.js';

/** A run of text with one style. */
export interface Segment {
  readonly text: string;
  readonly color?: string | undefined;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
  readonly underline?: boolean;
}

export interface LineProps {
  /** The styled runs, left to right. */
  readonly segments: readonly Segment[];
}

/**
 * Exactly one terminal line: whatever does not fit is cut, never wrapped. A line whose segments
 * are the same as last time (new objects, same text and style) is not drawn again.
 */
export const Line = memo(
  function Line({ segments }: LineProps) {
    return (
      <Text wrap="truncate-end">
        {segments.map((s, i) => (
          <Text
            key={i}
            color={s.color}
            bold={s.bold}
            dimColor={s.dim}
            inverse={s.inverse}
            underline={s.underline}
          >
            {s.text}
          </Text>
        ))}
      </Text>
    );
  },
  (a, b) => same(a.segments, b.segments),
);

/** Same line, empty (keeps the frame's height steady). */
export function Blank() {
  return <Text> </Text>;
}
