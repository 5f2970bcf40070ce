/**
 * What differs between the baseline and the candidate of an A/B run (`deno task ab`), parsed from
 * `--baseline` and `--candidate`: `models:DIR` (the scenario's model files taken from DIR by file
 * name), `ref:REF` (a git ref; a bare value is a ref too), `ort:VERSION` (another
 * onnxruntime-node), or the working tree as it is. Pure: nothing here reads a file.
 *
 * @module
 */
import type { Case } from "../scenario/expand.ts";
import type { CaseSource } from "../source/source.ts";
import type { AbSideRecord } from "./results.ts";

/** The side that is the working tree as it is: the scenario's own model files. */
export const WORKING_TREE = "working tree";

/** One side of an A/B run. */
export type Side =
  | {
    /** The working tree as it is: the scenario's own model files, this onnxruntime. */
    readonly kind: "working tree";
  }
  | {
    /** The scenario's model files taken from `dir` by file name instead. */
    readonly kind: "models";
    /** The folder, as given (relative to the working directory). */
    readonly dir: string;
  }
  | {
    /** The harness at a git ref: its code builds the stems, its model files and scenario. */
    readonly kind: "ref";
    /** The git ref, as given. */
    readonly ref: string;
  }
  | {
    /** The scenario's own model files run by another onnxruntime-node, in a worker process. */
    readonly kind: "ort";
    /** The version, `MAJOR.MINOR.PATCH` with an optional pre-release. */
    readonly version: string;
  };

const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
// A ref or any revision git rev-parse reads (main, v1.2, HEAD~1, main^, origin/main@{1}): no
// space or control character, no leading "-" (it would read as an option), no ".." (a range)
// deno-lint-ignore no-control-regex -- control characters are what this rejects
const BAD_REF = /[\s\u0000-\u001f\u007f]|\.\.|^-|[./]$/;

/**
 * Parses a side as written on the command line.
 *
 * @param value The flag's value: `models:DIR`, `ref:REF`, `ort:VERSION`, `working tree`, or a bare
 *   git ref.
 * @param flag The flag it came from (`--baseline`), named in errors.
 * @returns The side.
 * @throws {SyntaxError} When the value is empty, has an unknown `kind:` prefix, an empty part
 *   after its prefix, a malformed version or a ref git would refuse.
 * @example
 * ```ts
 * import { parseSide } from "./side.ts";
 * const side = parseSide("models:baseline/", "--baseline");
 * if (side.kind !== "models" || side.dir !== "baseline/") throw new Error();
 * if (parseSide("main", "--baseline").kind !== "ref") throw new Error();
 * ```
 */
export function parseSide(value: string, flag: string): Side {
  const fail = (why: string): never => {
    throw new SyntaxError(`Cannot parse '${flag}' as ${why}: current value is "${value}"`);
  };
  if (value.trim() === "") fail("it must name a side (models:DIR, ref:REF or ort:VERSION)");
  if (value === WORKING_TREE) return { kind: "working tree" };
  const colon = value.indexOf(":");
  if (colon < 0) return { kind: "ref", ref: checkRef(value, fail) };
  const kind = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  switch (kind) {
    case "models":
      if (rest === "") fail("'models:' must be followed by a folder");
      return { kind: "models", dir: rest };
    case "ref":
      if (rest === "") fail("'ref:' must be followed by a git ref");
      return { kind: "ref", ref: checkRef(rest, fail) };
    case "ort":
      if (!VERSION.test(rest)) fail("'ort:' must be followed by a version like 1.29.0");
      return { kind: "ort", version: rest };
    default:
      return fail(`its kind must be models, ref or ort: found "${kind}"`);
  }
}

function checkRef(ref: string, fail: (why: string) => never): string {
  if (BAD_REF.test(ref)) fail("it must be a git ref, models:DIR or ort:VERSION");
  return ref;
}

/**
 * The side as written on the command line (the inverse of {@linkcode parseSide}).
 *
 * @param side The side.
 * @returns `models:DIR`, `ref:REF`, `ort:VERSION` or `working tree`.
 * @example
 * ```ts
 * import { formatSide } from "./side.ts";
 * if (formatSide({ kind: "ref", ref: "main" }) !== "ref:main") throw new Error();
 * ```
 */
export function formatSide(side: Side): string {
  switch (side.kind) {
    case "working tree":
      return WORKING_TREE;
    case "models":
      return `models:${side.dir}`;
    case "ref":
      return `ref:${side.ref}`;
    case "ort":
      return `ort:${side.version}`;
  }
}

/**
 * A side ready to run: its cases, the source that builds their two graphs, and how results
 * record it. Made by `loadSideModels` (the working tree, `models:DIR`, `ort:VERSION`) or
 * `loadRefSide` (`ref:REF`).
 */
export interface LoadedSide {
  /** The side as results record it. */
  readonly record: AbSideRecord;
  /** Every case of the scenario as this side expands it, in order. */
  readonly cases: readonly Case[];
  /** Builds both forms of a case, as this side's code and files make them. */
  readonly source: CaseSource;
  /** For `ort:VERSION`, the onnxruntime-node version its worker must load. */
  readonly ort?: string;
  /** Removes what loading made (a ref's temporary checkout); safe to call twice. */
  readonly dispose: () => Promise<void>;
}
