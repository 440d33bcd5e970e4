/** An error as the bottom line says it: core's own message, or whatever else was thrown, in one line of text. */
import { isSwitchyardError } from '../core/errors.js';

export function errorText(e: unknown): string {
  if (isSwitchyardError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}
