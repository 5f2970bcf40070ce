/**
 * Command-line option parsing shared by the commands: node:util's parseArgs, strict, with
 * `--help`, and a usage error that carries the command's help text.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** Bad command-line input; the CLI prints its message and exits 2. */
export class UsageError extends Error {}

/** Parsed option values by name (`string[]` for an option declared `multiple`). */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** One option's declaration, as node:util's parseArgs takes it. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
}

/**
 * Parses options strictly (unknown options and positionals are errors); `-h`/`--help` is added.
 *
 * @throws {UsageError} With parseArgs' message followed by `help`.
 */
export function parseOptions(
  args: string[],
  options: Record<string, OptionSpec>,
  help: string,
): OptionValues {
  return parseCommandLine(args, options, help).values;
}

/**
 * Parses options and up to `maxPositionals` positional arguments (file paths), strictly.
 *
 * @throws {UsageError} For an unknown option, a missing value or too many positionals.
 */
export function parseCommandLine(
  args: string[],
  options: Record<string, OptionSpec>,
  help: string,
  maxPositionals = 0,
): { values: OptionValues; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: maxPositionals > 0,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${help}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(
      `Unexpected argument "${
        parsed.positionals[maxPositionals]
      }": at most ${maxPositionals} file(s)\n\n${help}`,
    );
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals };
}
