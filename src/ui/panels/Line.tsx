/** One terminal line made of styled segments, cut (never wrapped) to fit. */
import { Text } from 'ink';

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

/** Exactly one terminal line: whatever does not fit is cut, never wrapped. */
export function Line({ segments }: LineProps) {
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
}

/** Same line, empty (keeps the frame's height steady). */
export function Blank() {
  return <Text> </Text>;
}
