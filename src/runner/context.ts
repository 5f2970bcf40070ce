/**
 * The context fingerprint of a run: versions, machine and scenario, read once per run.
 *
 * @module
 */
import { type Context, TOOL } from "../results/schema.ts";
import { cpus } from "node:os";
import { ortVersion } from "./ort.ts";

// Re-exported so runner.ts keeps offering it; defined in results/schema.ts, which count.ts shares
export { TOOL };

/** The CPU model as the OS reports it (node:os, needs --allow-sys), or "unknown". */
export function cpuModel(): string {
  try {
    return cpus()[0]?.model?.trim() || "unknown";
  } catch {
    return "unknown";
  }
}

/** The current git commit (with `-dirty` when the tree has changes), or undefined outside git. */
export async function gitCommit(): Promise<string | undefined> {
  try {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    };
    const head = await run("rev-parse", "HEAD");
    if (!head) return undefined;
    const status = await run("status", "--porcelain", "--untracked-files=no");
    return status ? `${head}-dirty` : head;
  } catch {
    return undefined;
  }
}

/** Fields of the context that depend on the scenario and the counting settings. */
export type ContextInput = Pick<Context, "scenario" | "cacheBytes" | "conventions">;

/**
 * The machine's cores (`cores`, what the gate compares) and the cores this process may use
 * (`usableCores`: the affinity mask, smaller under `taskset`).
 */
export function cpuInfo(): { model: string; cores: number; usableCores: number } {
  let cores = navigator.hardwareConcurrency;
  try {
    cores = cpus().length || cores;
  } catch { /* no --allow-sys: the usable count is the best we know */ }
  return { model: cpuModel(), cores, usableCores: navigator.hardwareConcurrency };
}

/** Gathers the context of a run starting now. */
export async function collectContext(input: ContextInput): Promise<Context> {
  const commit = await gitCommit();
  return {
    tool: { ...TOOL },
    startedAt: new Date().toISOString(),
    ortVersion: ortVersion(),
    denoVersion: Deno.version.deno,
    v8Version: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    cpu: cpuInfo(),
    ...(commit ? { gitCommit: commit } : {}),
    ...input,
  };
}
