/**
 * Runs `src/cli.ts bench` in a fresh Deno process, as CI does, and reads its results: what
 * `gate --calibrate` and `baseline` use, so every run starts cold like a CI run, with its own
 * onnxruntime. Spawns the process only: nothing here loads onnxruntime itself.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { readResults } from "../results/io.ts";
import type { Results } from "../results/schema.ts";

/** The permission flags of `deno task bench` (deno.json), given to the child process. */
export const BENCH_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run=git",
];

/** Options of {@linkcode runBenchProcess}. */
export interface BenchProcessOptions {
  /**
   * Where the child's stdout and stderr go: `inherit` shows its progress, `null` hides it
   * (its stderr is still quoted in the error when it fails).
   * @default {"null"}
   */
  readonly output?: "inherit" | "null";
}

/** The results of one bench process and its exit code (0, or 1 when a case failed). */
export interface BenchProcessRun {
  /** The results the child wrote. */
  readonly results: Results;
  /** The child's exit code. */
  readonly code: number;
}

/**
 * Runs `deno run <bench permissions> src/cli.ts bench --scenario FILE --out DIR` with this
 * process's Deno executable and the project's deno.json, then reads DIR/results.json.
 * Needs `--allow-run` for the Deno executable and read access to DIR.
 *
 * @param scenarioPath The scenario file.
 * @param outDir The folder the child writes results.json into.
 * @param options Where the child's output goes.
 * @returns The results and the child's exit code, 0 or 1 (a case errored or was not equivalent).
 * @throws {Error} When the child exits with another code (bad scenario: 2, interrupted: 130).
 */
export async function runBenchProcess(
  scenarioPath: string,
  outDir: string,
  options: BenchProcessOptions = {},
): Promise<BenchProcessRun> {
  const inherit = options.output === "inherit";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${fromFileUrl(new URL("../../deno.json", import.meta.url))}`,
      ...BENCH_PERMISSIONS,
      fromFileUrl(new URL("../cli.ts", import.meta.url)),
      "bench",
      "--scenario",
      scenarioPath,
      "--out",
      outDir,
    ],
    stdin: "null",
    stdout: inherit ? "inherit" : "null",
    stderr: inherit ? "inherit" : "piped",
  });
  const output = await child.output();
  const code = output.code;
  if (code !== 0 && code !== 1) {
    const text = inherit
      ? ""
      : new TextDecoder().decode(output.stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(
      `Cannot run scenario "${scenarioPath}" as the bench process exited with code ${code}${
        text ? `:\n${text}` : ""
      }`,
    );
  }
  return { results: await readResults(join(outDir, "results.json")), code };
}
