/**
 * A scenario's cases exported as files (`deno task export --scenario FILE --out DIR`): both forms
 * of every case as `.onnx` files and a `manifest.json` naming them. It is the contract between
 * two versions of the harness: an A/B run against a git ref (`ab --baseline ref:REF`) runs that
 * ref's `export` and times the graphs it wrote, so the ref's own code builds and fuses them. Also
 * the source that reads such a folder back.
 *
 * @module
 */
import { join } from "node:path";
import { decodeModel } from "../onnx/decode.ts";
import { type CaseConfig, caseId } from "../scenario/expand.ts";
import type { CaseGraphs, CaseSource, Tap } from "./source.ts";

/** The manifest's `kind`. */
export const EXPORT_KIND = "repstem-export";

/** The manifest's version: a reader refuses any other. */
export const EXPORT_VERSION = 1;

/** The manifest's file name in the export folder. */
export const MANIFEST_FILE = "manifest.json";

/** One case whose two graphs were written. */
export interface ExportedCase {
  /** The case id (`caseId(config)`). */
  readonly id: string;
  /** The case's configuration as the exporting harness expanded it. */
  readonly config: CaseConfig;
  /** The multi-branch form's file, relative to the folder. */
  readonly multiBranch: string;
  /** The reparameterized form's file, relative to the folder. */
  readonly reparameterized: string;
  /** The concrete input shape both graphs run at. */
  readonly inputShape: readonly number[];
  /** The first output's inferred shape, empty when unknown. */
  readonly outputShape: readonly number[];
  /** How equivalence is judged (absent: the scenario's fixed tolerance, as for a stem). */
  readonly equivalence?: { readonly method: "noise-floor"; readonly taps: readonly Tap[] };
}

/** One case the exporting harness could not build. */
export interface ExportErroredCase {
  /** The case id. */
  readonly id: string;
  /** The case's configuration. */
  readonly config: CaseConfig;
  /** Why it could not be built, one line. */
  readonly error: string;
}

/** `manifest.json`. */
export interface ExportManifest {
  /** {@linkcode EXPORT_KIND}. */
  readonly kind: typeof EXPORT_KIND;
  /** {@linkcode EXPORT_VERSION}. */
  readonly version: typeof EXPORT_VERSION;
  /** The scenario file the cases came from, as given to `export`. */
  readonly scenario: string;
  /** Every case of the scenario, in its order. */
  readonly cases: readonly (ExportedCase | ExportErroredCase)[];
}

/** The file names of case `index`'s two forms in an export folder. */
export function exportFileNames(index: number): { multiBranch: string; reparameterized: string } {
  const n = String(index).padStart(3, "0");
  return { multiBranch: `${n}.multi_branch.onnx`, reparameterized: `${n}.reparameterized.onnx` };
}

/**
 * The manifest entry of a case built by a source.
 *
 * @param index The case's index in the scenario (names its files).
 * @param config The case's configuration.
 * @param graphs What the source built.
 * @returns The entry ({@linkcode exportFileNames} gives where the graphs go).
 */
export function exportedCase(index: number, config: CaseConfig, graphs: CaseGraphs): ExportedCase {
  return {
    id: caseId(config),
    config,
    ...exportFileNames(index),
    inputShape: graphs.inputShape,
    outputShape: graphs.outputShape,
    ...(graphs.equivalence ? { equivalence: graphs.equivalence } : {}),
  };
}

/**
 * Parses `manifest.json`.
 *
 * @param text The file's text.
 * @param path The file's path, named in errors.
 * @returns The manifest.
 * @throws {SyntaxError} When it is not JSON, not an export manifest, or of another version.
 * @example
 * ```ts
 * import { parseExportManifest } from "./exported.ts";
 * const m = parseExportManifest('{"kind": "repstem-export", "version": 1, "scenario": "s.json", "cases": []}', "m.json");
 * if (m.cases.length !== 0) throw new Error();
 * ```
 */
export function parseExportManifest(text: string, path: string): ExportManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot read export manifest "${path}" as JSON: ${(e as Error).message}`);
  }
  const m = data as Partial<ExportManifest> | null;
  if (typeof m !== "object" || m === null || m.kind !== EXPORT_KIND) {
    throw new SyntaxError(
      `Cannot read "${path}" as an export manifest: 'kind' must be "${EXPORT_KIND}"`,
    );
  }
  if (m.version !== EXPORT_VERSION) {
    throw new SyntaxError(
      `Cannot read export manifest "${path}" as its 'version' must be ${EXPORT_VERSION}: ` +
        `current value is ${JSON.stringify(m.version)}`,
    );
  }
  if (!Array.isArray(m.cases)) {
    throw new SyntaxError(`Cannot read export manifest "${path}" as 'cases' must be an array`);
  }
  for (const [i, c] of m.cases.entries()) {
    const ok = typeof c?.id === "string" && typeof c.config === "object" && c.config !== null &&
      ("error" in c
        ? typeof c.error === "string"
        : typeof c.multiBranch === "string" && typeof c.reparameterized === "string" &&
          Array.isArray(c.inputShape));
    if (!ok) {
      throw new SyntaxError(
        `Cannot read export manifest "${path}" as 'cases[${i}]' is not a case entry`,
      );
    }
  }
  return m as ExportManifest;
}

/**
 * The cases of an export folder as a source: `build(config)` reads the two files of the case
 * with the same id. A case the exporter could not build fails with its exporter's reason.
 *
 * @param manifest The folder's parsed manifest.
 * @param dir The folder.
 * @param describe How errors name the exporter (`ref:main`).
 * @returns The source.
 */
export function exportedSource(
  manifest: ExportManifest,
  dir: string,
  describe: string,
): CaseSource {
  const byId = new Map(manifest.cases.map((c) => [c.id, c]));
  return {
    async build(config: CaseConfig): Promise<CaseGraphs> {
      const id = caseId(config);
      const c = byId.get(id);
      if (!c) throw new RangeError(`Cannot find case "${id}" in the export of ${describe}`);
      if ("error" in c) throw new Error(`${describe} could not build case "${id}": ${c.error}`);
      const read = async (file: string) => decodeModel(await Deno.readFile(join(dir, file)));
      return {
        multiBranch: await read(c.multiBranch),
        reparameterized: await read(c.reparameterized),
        inputShape: c.inputShape,
        outputShape: c.outputShape ?? [],
        ...(c.config.model ? { model: c.config.model } : {}),
        ...(c.equivalence ? { equivalence: c.equivalence } : {}),
      };
    },
  };
}
