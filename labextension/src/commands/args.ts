/**
 * What the command modules share: the palette category and reading command arguments.
 */

/** The command palette category of every studio command. */
export const PALETTE_CATEGORY = 'Studio';

/** A command argument as a string (a number becomes its text); undefined when absent or empty. */
export function stringArg(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value || undefined;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return undefined;
}
