/**
 * Scenario text to a checked {@linkcode Scenario}: pure, no file access (load.ts reads files).
 *
 * @module
 */

import { z } from "zod";
import { type Scenario, scenarioSchema } from "./schema.ts";

/** One problem found in a scenario file. */
export interface ScenarioIssue {
  /** Field path as written in messages, like `widths[1]` or `warmup.minRuns`; "" for the top level. */
  readonly path: string;
  /** What the field must be, like `must be a positive integer`. */
  readonly message: string;
  /** The offending value as found in the file; `undefined` when the field is missing. */
  readonly value: unknown;
}

/** Options of {@linkcode ScenarioError}. */
export interface ScenarioErrorOptions extends ErrorOptions {
  /** Where the scenario came from, usually its path. */
  readonly source: string;
  /** The schema issues found, if any. @default [] */
  readonly issues?: readonly ScenarioIssue[];
}

/**
 * A scenario that cannot be used: a missing file, or JSON that does not match the schema. The CLI
 * catches it to exit with status 2. For schema issues the message has one line per issue.
 */
export class ScenarioError extends Error {
  /** Where the scenario came from, usually its path. */
  readonly source: string;
  /** Every schema issue found, in the order the schema reports them (empty for a missing file). */
  readonly issues: readonly ScenarioIssue[];

  /**
   * Creates the error.
   *
   * @param message The full message.
   * @param options The source, the issues and an optional cause.
   */
  constructor(message: string, options: ScenarioErrorOptions) {
    super(message, options);
    this.name = "ScenarioError";
    this.source = options.source;
    this.issues = options.issues ?? [];
  }
}

/**
 * The error for issues found in a scenario, in the message format of {@linkcode parseScenario}:
 * one line per issue naming the source, the field and the value. Also used for issues found
 * after parsing (a model file that cannot be read).
 *
 * @param source Where the scenario came from, usually its path.
 * @param issues The issues, at least one.
 * @returns The error to throw.
 * @example
 * ```ts
 * import { scenarioIssueError } from "./parse.ts";
 * const e = scenarioIssueError("s.json", [{ path: "seed", message: "must be >= 0", value: -1 }]);
 * if (e.message !== `Cannot load scenario "s.json": 'seed' must be >= 0: current value is -1`) {
 *   throw new Error(e.message);
 * }
 * ```
 */
export function scenarioIssueError(
  source: string,
  issues: readonly ScenarioIssue[],
): ScenarioError {
  const message = issues.map((issue) => formatIssue(source, issue)).join("\n");
  return new ScenarioError(message, { source, issues });
}

function formatIssue(source: string, { path, message, value }: ScenarioIssue): string {
  const field = path === "" ? "the top level" : `'${path}'`;
  return `Cannot load scenario "${source}": ${field} ${message}: current value is ${
    formatValue(value)
  }`;
}

function formatValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => {
    if (typeof key === "number") return `[${key}]`;
    const name = String(key);
    if (/^[A-Za-z_$][\w$]*$/.test(name)) return i === 0 ? name : `.${name}`;
    return `[${JSON.stringify(name)}]`;
  }).join("");
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Keys of the strict object the schema expects at a path (array indices pass through). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: unknown = scenarioSchema;
  for (const key of [...path, null]) {
    while (!(schema instanceof z.ZodObject)) {
      if (schema instanceof z.ZodPipe) schema = schema.in;
      else if (hasUnwrap(schema)) schema = schema.unwrap();
      else return [];
    }
    if (key === null) return Object.keys(schema.shape);
    if (typeof key === "number") continue; // the array was unwrapped to its element
    schema = schema.shape[String(key)];
  }
  return [];
}

function hasUnwrap(schema: unknown): schema is { unwrap(): unknown } {
  return typeof (schema as { unwrap?: unknown } | undefined)?.unwrap === "function";
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + cost);
    }
    row = next;
  }
  return row[b.length];
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const close = known.filter((k) =>
    k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2
  );
  const hint = close.length > 0
    ? `did you mean ${close.map((k) => `'${k}'`).join(" or ")}?`
    : `known keys: ${known.join(", ")}`;
  return `is not a known key (${hint})`;
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): ScenarioIssue[] {
  return issues.flatMap((issue): ScenarioIssue[] => {
    const path = [...prefix, ...issue.path];
    const value = valueAt(input, path);
    // One-or-many fields are unions whose last option is the array: report its element issues.
    if (issue.code === "invalid_union" && Array.isArray(value) && issue.errors.length > 0) {
      return describeIssues(issue.errors[issue.errors.length - 1], input, path);
    }
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(path);
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        message: unknownKeyMessage(key, known),
        value: valueAt(value, [key]),
      }));
    }
    const duplicateOf = issue.code === "custom" ? issue.params?.duplicateOf : undefined;
    const message = typeof duplicateOf === "number"
      ? `must not repeat '${formatPath([...path.slice(0, -1), duplicateOf])}'`
      : issue.message;
    return [{ path: formatPath(path), message, value }];
  });
}

/** Offset of the first JSON syntax error in text, found by a strict recursive-descent scan. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (" \t\n\r".includes(text[i] ?? "x")) i++;
  };
  const expect = (char: string) => text[i] === char ? i++ : fail();
  const string = () => {
    expect('"');
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") fail();
      if (c === '"') return void i++;
      if (c !== "\\") i++;
      else if ('"\\/bfnrt'.includes(text[i + 1] ?? "x")) i += 2;
      else if (/^u[0-9a-fA-F]{4}/.test(text.slice(i + 1, i + 6))) i += 6;
      else {
        i++;
        fail();
      }
    }
  };
  const list = (close: string, item: () => void) => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      space();
      if (text[i] === close) return void i++;
      expect(",");
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{") {
      return list("}", () => {
        space();
        string();
        space();
        expect(":");
        value();
      });
    }
    if (c === "[") return list("]", value);
    if (c === '"') return string();
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (literal === null) fail();
    i += literal![0].length;
  };
  try {
    value();
    space();
    return i < text.length ? i : -1;
  } catch (offset) {
    if (typeof offset === "number") return offset;
    throw offset;
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const offset = Math.max(0, jsonErrorOffset(text));
    const before = text.slice(0, offset).split("\n");
    const line = before.length;
    const column = before[before.length - 1].length + 1;
    const detail = (error instanceof Error ? error.message : String(error))
      .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?$/, "");
    throw new SyntaxError(
      `Cannot parse scenario "${source}" as JSON at line ${line}, column ${column}: ${detail}`,
      { cause: error },
    );
  }
}

/**
 * Parses and checks scenario text, applying defaults and normalizing every axis to an array.
 *
 * @param text The scenario file's content, JSON (a leading byte order mark is ignored).
 * @param source Where the text came from, named in error messages (usually the file path).
 * @returns The checked scenario.
 * @throws {SyntaxError} When the text is not JSON: the message names the source, line and column.
 * @throws {ScenarioError} When the JSON does not match the schema: one line per issue, each naming
 * the source, the field path (like `widths[1]`) and the offending value.
 * @example
 * ```ts
 * import { parseScenario } from "./parse.ts";
 * const s = parseScenario('{"name": "t8", "description": "", "resolutions": [224], "widths": [48]}', "t8.json");
 * if (s.devices[0] !== "cpu" || s.activation[0] !== "gelu") throw new Error();
 * ```
 */
export function parseScenario(text: string, source: string): Scenario {
  const json = parseJson(text.replace(/^\uFEFF/, ""), source);
  const result = scenarioSchema.safeParse(json);
  if (result.success) return result.data;
  throw scenarioIssueError(source, describeIssues(result.error.issues, json));
}
