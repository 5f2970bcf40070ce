/**
 * Command-line option parsing shared by the commands: node:util's parseArgs, strict, with
 * `--help`, a usage error that carries the command's help text, required options, and the
 * guard that turns bad input into exit code 2 for commands called as functions.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ScenarioError } from "./scenario/parse.ts";
import { ModelInputError } from "./source/model_file.ts";
import { printErr } from "./output.ts";

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

/**
 * Reads an option that must be given as a non-empty string.
 *
 * @param values Parsed options.
 * @param name The option's name, without `--`.
 * @param help The command's help text, appended to the error.
 * @returns The option's value.
 * @throws {UsageError} When the option is missing or empty.
 */
export function requireOption(values: OptionValues, name: string, help: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`Cannot run as '--${name}' is required\n\n${help}`);
  }
  return value;
}

/**
 * Whether an error is bad input rather than a bug: a usage, syntax or range error, or a file
 * problem (missing, a folder where a file belongs or the other way round, not allowed, exists).
 * Their messages name the file; the CLI prints them as one line and exits 2.
 */
export function isInputError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof SyntaxError || e instanceof RangeError ||
    e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory ||
    e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.AlreadyExists ||
    e instanceof Deno.errors.InvalidData || e instanceof ModelInputError ||
    e instanceof ScenarioError;
}

/**
 * Runs a command body, turning input errors (usage, syntax, range, a missing file or a folder
 * where a file belongs) into `error: ...` on stderr and exit code 2; anything else is rethrown.
 *
 * @param body The command's work, returning its exit code.
 * @returns The body's exit code, or 2 on bad input.
 */
export async function guardInputErrors(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (isInputError(e)) {
      printErr(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
