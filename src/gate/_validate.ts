/**
 * Shape checks of a results object before gating: parseResults checks the version, this checks
 * that every field a gate reads is there, so a malformed file is an input error (exit 2) and never
 * a pass. Private to src/gate.
 *
 * @module
 */
import type { Results } from "../results/schema.ts";

const STATES = new Set(["completed", "errored", "skipped"]);
const COUNT_PATHS = [
  "params",
  "buffers",
  "constants",
  "macs",
  "flops.conv",
  "flops.elementwise",
  "flops.total",
  "bytes.naive",
  "bytes.minimum",
  "bytes.cached",
];

function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split(".")) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkForm(form: unknown, where: string, timed: boolean): string[] {
  if (!isObject(form)) return [`${where} is missing`];
  const problems = COUNT_PATHS.filter((p) => typeof at(form, p) !== "number")
    .map((p) => `${where}.${p} must be a number`);
  if (!isObject(form.nodes)) problems.push(`${where}.nodes must be an object`);
  if (timed) {
    const samples = at(form, "latencyMs.samplesMs");
    if (
      !Array.isArray(samples) || samples.length === 0 ||
      !samples.every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0)
    ) {
      problems.push(`${where}.latencyMs.samplesMs must be a non-empty array of durations`);
    }
  }
  return problems;
}

/** An int8 result's fields the int8 gate reads: per form, the output SQNR and `integer`. */
function checkInt8(int8: unknown, where: string): string[] {
  if (!isObject(int8)) return [`${where} must be an object`];
  return ["multiBranch", "reparameterized"].flatMap((name) => {
    const sqnr = at(int8, `forms.${name}.error.sqnrDb`);
    const ok = (typeof sqnr === "number" || sqnr === null) &&
      typeof at(int8, `forms.${name}.integer`) === "boolean";
    return ok
      ? []
      : [`${where}.forms.${name} must have a numeric error.sqnrDb and an integer flag`];
  });
}

function checkCase(c: unknown, i: number): string[] {
  const where = `cases[${i}]`;
  if (!isObject(c)) return [`${where} must be an object`];
  if (typeof c.id !== "string") return [`${where}.id must be a string`];
  const named = `${where} ("${c.id}")`;
  if (typeof c.state !== "string" || !STATES.has(c.state)) {
    return [`${named}.state must be completed, errored or skipped`];
  }
  if (!isObject(c.config)) return [`${named}.config must be an object`];
  const completed = c.state === "completed";
  const problems: string[] = [];
  if (completed || c.forms !== undefined) {
    for (const name of ["multiBranch", "reparameterized"]) {
      problems.push(...checkForm(at(c, `forms.${name}`), `${named}.forms.${name}`, completed));
    }
  }
  if (completed) {
    const ratio = at(c, "speedup.ratio");
    const ci = at(c, "speedup.ci95");
    if (
      typeof ratio !== "number" || !Array.isArray(ci) || ci.length !== 2 ||
      !ci.every((x) => typeof x === "number")
    ) {
      problems.push(`${named}.speedup must have a numeric ratio and a two-number ci95`);
    }
    const err = at(c, "equivalence.maxAbsError");
    if (
      typeof at(c, "equivalence.tolerance") !== "number" ||
      !(typeof err === "number" || err === null)
    ) {
      problems.push(`${named}.equivalence must have a numeric maxAbsError and tolerance`);
    }
    if (c.int8 !== undefined) problems.push(...checkInt8(c.int8, `${named}.int8`));
  }
  return problems;
}

/**
 * Checks that a results object holds every field the gate reads.
 *
 * @param results A parsed results object (its schemaVersion already checked).
 * @param source Names the file in the error message.
 * @throws {SyntaxError} When a field is missing or has the wrong type, or two cases share an id;
 * the message lists up to five problems.
 */
export function checkResultsShape(results: Results, source: string): void {
  const problems: string[] = [];
  if (!isObject(results.context)) problems.push("context must be an object");
  const seen = new Set<string>();
  results.cases.forEach((c, i) => {
    problems.push(...checkCase(c, i));
    if (isObject(c) && typeof c.id === "string") {
      if (seen.has(c.id)) problems.push(`case id "${c.id}" appears twice`);
      seen.add(c.id);
    }
  });
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : "";
    throw new SyntaxError(
      `Cannot gate results "${source}" as they are malformed: ${
        problems.slice(0, 5).join("; ")
      }${more}`,
    );
  }
}
