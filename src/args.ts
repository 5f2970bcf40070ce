/**
 * Command-line option parsing shared by the commands: node:util's parseArgs, strict, with
 * `--help`, and a usage error that carries the command's help text.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** Bad command-line input; the CLI prints its message and exits 2. */
export class UsageError extends Error {}

/** Parsed option values by name. */
export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * Parses options strictly (unknown options and positionals are errors); `-h`/`--help` is added.
 *
 * @throws {UsageError} With parseArgs' message followed by `help`.
 */
export function parseOptions(
  args: string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
  help: string,
): OptionValues {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }).values as OptionValues;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
}
