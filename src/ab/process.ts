/**
 * Runs `src/cli.ts ab` in a fresh Deno process and reads its `ab.json`: what
 * `gate --paired --baseline-ref` uses, so the gate itself never loads onnxruntime. Spawns the
 * process only.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { type AbResults, parseAbResults } from "./results.ts";

/** The permission flags of `deno task ab` (deno.json), given to the child process. */
export const AB_PERMISSIONS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
];

/** What one `ab` process left: its results (when it wrote them) and its exit code. */
export interface AbProcessRun {
  /** The A/B results the child wrote; absent when it wrote none (bad input). */
  readonly results?: AbResults;
  /** The child's exit code: 0, 1 a case failed, 2 bad input, 130 interrupted. */
  readonly code: number;
  /** The child's first `error: ...` line, when it printed one. */
  readonly error?: string;
}

/**
 * Runs `deno run <ab permissions> src/cli.ts ab --scenario FILE --baseline SIDE --out DIR`
 * with this process's Deno executable and the project's deno.json; its progress and its table
 * go to this process's stderr (stdout stays free for the caller's verdict).
 *
 * @param scenarioPath The scenario file.
 * @param baseline The baseline side as written on the command line (`ref:main`).
 * @param outDir The folder the child writes ab.json into.
 * @returns The results (when written), the exit code and the error line.
 */
export async function runAbProcess(
  scenarioPath: string,
  baseline: string,
  outDir: string,
): Promise<AbProcessRun> {
  const path = join(outDir, "ab.json");
  await Deno.remove(path).catch(() => {}); // never read an earlier run's file as this one's
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--config=${fromFileUrl(new URL("../../deno.json", import.meta.url))}`,
      ...AB_PERMISSIONS,
      fromFileUrl(new URL("../cli.ts", import.meta.url)),
      "ab",
      "--scenario",
      scenarioPath,
      "--baseline",
      baseline,
      "--out",
      outDir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The child's table goes to stderr too: this process's stdout is its own verdict (--json)
  const table = child.stdout.pipeTo(
    new WritableStream({ write: (chunk) => writeAllToStderr(chunk) }),
  );
  // Pass the child's progress through as it comes, and keep its error line
  let error: string | undefined;
  let pending = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    await writeAllToStderr(chunk);
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    error ??= lines.find((l) => l.startsWith("error: "))?.slice("error: ".length);
  }
  error ??= pending.startsWith("error: ") ? pending.slice("error: ".length) : undefined;
  await table;
  const { code } = await child.status;
  let results: AbResults | undefined;
  try {
    results = parseAbResults(await Deno.readTextFile(path), path);
  } catch {
    results = undefined;
  }
  return { ...(results ? { results } : {}), code, ...(error ? { error } : {}) };
}

/** Writes all of `bytes` to stderr (one write call may take only part of them). */
async function writeAllToStderr(bytes: Uint8Array): Promise<void> {
  for (let n = 0; n < bytes.length;) n += await Deno.stderr.write(bytes.subarray(n));
}
