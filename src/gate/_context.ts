/**
 * Context comparison for the gate: which differences between two runs make absolute times
 * incomparable, and which are only worth a note. Private to src/gate.
 *
 * @module
 */
import type { CaseConfig } from "../scenario/expand.ts";
import type { Context } from "../results/schema.ts";

/** One field that differs between the baseline's and the current run's context. */
export interface ContextDifference {
  /** Dotted path, e.g. `cpu.model`, or `config.threads` for a case's own config. */
  readonly field: string;
  readonly baseline: string;
  readonly current: string;
  /** True when the difference makes absolute times incomparable. */
  readonly blocking: boolean;
}

// Fields that change absolute speed: a different machine or onnxruntime build.
const BLOCKING: ReadonlyArray<readonly [string, (c: Context) => unknown]> = [
  ["ortVersion", (c) => c.ortVersion],
  ["arch", (c) => c.arch],
  ["cpu.model", (c) => c.cpu?.model],
  ["cpu.cores", (c) => c.cpu?.cores],
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
 * Lists the config fields of one case that differ between the runs (device, threads, ...).
 * Any such difference blocks absolute-time comparison of that case.
 *
 * @param baseline The case's config in the baseline.
 * @param current The case's config in the current run.
 * @returns One blocking difference per field, named `config.<field>`.
 */
export function compareConfigs(baseline: CaseConfig, current: CaseConfig): ContextDifference[] {
  const keys = [...new Set([...Object.keys(baseline), ...Object.keys(current)])].sort();
  const b = baseline as unknown as Record<string, unknown>;
  const c = current as unknown as Record<string, unknown>;
  return keys.flatMap((key) => {
    const [vb, vc] = [show(b[key]), show(c[key])];
    return vb === vc ? [] : [{ field: `config.${key}`, baseline: vb, current: vc, blocking: true }];
  });
}
