/** Runs src/cli.ts in a child process, as a user would, and captures what it printed. */
import { BENCH_PERMISSIONS } from "../../src/runner/bench_process.ts";

/** The CLI's entry file and the repository root (the working directory of each run). */
export const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
export const ROOT = new URL("../../", import.meta.url).pathname;

/** What a run of the CLI gave. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno run FLAGS src/cli.ts ARGS` from the repository root.
 *
 * @param args The command and its arguments.
 * @param flags Deno's permission flags (the bench's by default).
 * @param env Extra environment variables.
 */
export async function cli(
  args: readonly string[],
  flags: readonly string[] = BENCH_PERMISSIONS,
  env: Record<string, string> = {},
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, CLI, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
