/**
 * Context comparison for the gate: which differences between two runs make absolute times
 * incomparable, and which are only worth a note. Private to src/gate.
 *
 * @module
 */
import type { CaseResult, Context } from "../results/schema.ts";
import type { ContextDifference } from "./verdict.ts";

// Fields that change absolute speed: a different machine or onnxruntime build.
const BLOCKING: ReadonlyArray<readonly [string, (c: Context) => unknown]> = [
  ["ortVersion", (c) => c.ortVersion],
  ["arch", (c) => c.arch],
  ["cpu.model", (c) => c.cpu?.model],
  ["cpu.cores", (c) => c.cpu?.cores],
  ["gpuAdapter", (c) => c.gpuAdapter],
];

// Fields that may shift times a little or explain a count change, reported but not blocking.
const NOTED: ReadonlyArray<readonly [string, (c: Context) => unknown]> = [
  ["denoVersion", (c) => c.denoVersion],
  ["os", (c) => c.os],
  ["tool.version", (c) => c.tool?.version],
  ["scenario.hash", (c) => c.scenario?.hash],
  ["cacheBytes", (c) => c.cacheBytes],
];

function show(value: unknown): string {
  return value === undefined
    ? "(missing)"
    : typeof value === "string"
    ? value
    : JSON.stringify(value);
}

/**
 * Lists the fields of two run contexts that differ.
 *
 * @param baseline The baseline run's context.
 * @param current The current run's context.
 * @returns Blocking differences first, then the noted ones; empty when the runs match.
 */
export function compareContexts(baseline: Context, current: Context): ContextDifference[] {
  const diff = (fields: typeof BLOCKING, blocking: boolean) =>
    fields.flatMap(([field, read]) => {
      const [b, c] = [show(read(baseline)), show(read(current))];
      return b === c ? [] : [{ field, baseline: b, current: c, blocking }];
    });
  return [...diff(BLOCKING, true), ...diff(NOTED, false)];
}

/**
 * Lists what differs in how one case ran: its config fields (device, threads, ...) and, when
 * both completed, its provider's name and options. Any such difference blocks absolute-time
 * comparison of that case.
 *
 * @param baseline The case in the baseline.
 * @param current The case in the current run.
 * @returns One blocking difference per field, named `config.<field>` or `provider.<field>`.
 */
export function compareCaseContexts(
  baseline: CaseResult,
  current: CaseResult,
): ContextDifference[] {
  const both = baseline.state === "completed" && current.state === "completed";
  const fields = (c: CaseResult): Record<string, unknown> => ({
    ...Object.fromEntries(Object.entries(c.config).map(([k, v]) => [`config.${k}`, v])),
    ...(both && c.state === "completed"
      ? {
        // Results written before `provider` existed ran on the provider named by the device.
        "provider.name": c.provider?.name ?? c.config.device,
        "provider.options": c.provider?.options,
      }
      : {}),
  });
  const [b, c] = [fields(baseline), fields(current)];
  const keys = [...new Set([...Object.keys(b), ...Object.keys(c)])].sort();
  return keys.flatMap((field) => {
    const [vb, vc] = [show(b[field]), show(c[field])];
    return vb === vc ? [] : [{ field, baseline: vb, current: vc, blocking: true }];
  });
}
