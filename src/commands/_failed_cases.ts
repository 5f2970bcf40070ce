/**
 * The end of a case loop's command: exit 1 naming the cases that errored or were not equivalent,
 * else 0.
 *
 * @module
 */
import { printErr } from "../output.ts";

/**
 * Prints the ids of failed cases (if any) and returns the exit code.
 *
 * @param ids Ids of the cases that errored or were not equivalent.
 * @returns 1 when there are any, else 0.
 */
export function failedCasesExit(ids: readonly string[]): number {
  if (ids.length === 0) return 0;
  printErr(`${ids.length} case(s) errored or were not equivalent: ${ids.join(", ")}`);
  return 1;
}
