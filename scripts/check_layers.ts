/**
 * Checks the module map's layering over every `src/**\/*.ts` file and the two entry points, with
 * the import graph Deno itself resolves (`deno info --json`: static, type-only and dynamic
 * imports alike). tests/layers_test.ts runs it, so the rules stay true.
 *
 * The rules ({@linkcode FLOORS} says which floor each file is on):
 * 1. Four floors, each importing only from its own floor or below: the entry points (mod.ts,
 *    runner.ts, src/cli.ts); the case loop and the commands; the domain folders; the foundations.
 * 2. No import cycle between files, and none between units (a folder under src/, or a file at
 *    its root): two units on one floor may not import each other, even through other files.
 * 3. A private file (`_x.ts`) is imported only from its own folder, and never re-exported.
 * 4. Only src/runner/ort.ts imports onnxruntime-node, only src/onnx/ imports onnx-buf, and
 *    mod.ts reaches neither onnxruntime-node nor src/runner/ when it loads (its static imports).
 *
 * Usage: `deno run --allow-read --allow-write --allow-run scripts/check_layers.ts` (prints each
 * violation; exit 1 when there is one).
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The floors, top first: a file may import from its own floor and those after it. */
export const FLOOR_NAMES = [
  "entry point",
  "case loop and commands",
  "domain",
  "foundation",
] as const;

/** One of {@linkcode FLOOR_NAMES}. */
export type Floor = (typeof FLOOR_NAMES)[number];

/**
 * Which floor each file is on, by path relative to the repository root: a folder (ending in `/`)
 * covers every file under it; the longest match wins.
 */
export const FLOORS: Readonly<Record<string, Floor>> = {
  "mod.ts": "entry point",
  "runner.ts": "entry point",
  "src/cli.ts": "entry point",
  "src/bench_loop.ts": "case loop and commands",
  "src/case.ts": "case loop and commands",
  "src/int8_case.ts": "case loop and commands",
  "src/commands/": "case loop and commands",
  "src/args.ts": "case loop and commands",
  "src/output.ts": "case loop and commands",
  "src/source/": "domain",
  "src/stem/": "domain",
  "src/runner/": "domain",
  "src/profile/": "domain",
  "src/report/": "domain",
  "src/gate/": "domain",
  "src/ab/": "domain",
  "src/onnx/": "foundation",
  "src/scenario/": "foundation",
  "src/results/": "foundation",
  "src/stats/": "foundation",
  "src/reparam/": "foundation",
  // Pure functions over the graph IR and typed arrays, like reparam; the scenario schema embeds
  // its quantization options.
  "src/quantize/": "foundation",
  // Plain-text numbers and tables: imports nothing, used by commands, gate and report alike.
  "src/text_format.ts": "foundation",
};

/**
 * Violations accepted for now, each with its way out. An entry that no longer occurs is itself
 * reported, so the list only shrinks.
 */
export const KNOWN_EXCEPTIONS: Readonly<Record<string, string>> = {
  "src/profile/_count_rules.ts imports src/onnx/_values.ts, which is private to src/onnx/":
    "src/onnx/ is edited elsewhere: make _values.ts public there (values.ts), then drop this",
  "src/profile/counts.ts imports src/onnx/_values.ts, which is private to src/onnx/":
    "src/onnx/ is edited elsewhere: make _values.ts public there (values.ts), then drop this",
};

/** One local module and what it imports (paths relative to the root; packages as specifiers). */
export interface ModuleImports {
  /** Path relative to the repository root, with `/` separators. */
  readonly path: string;
  /** Local files it imports statically (code), relative to the root. */
  readonly code: readonly string[];
  /** Local files it imports for types only. */
  readonly types: readonly string[];
  /** Local files it imports dynamically (`await import(...)`). */
  readonly dynamic: readonly string[];
  /** npm packages it imports, by name (`onnxruntime-node`). */
  readonly packages: readonly string[];
}

/** The floor of a file, or undefined when {@linkcode FLOORS} does not place it. */
export function floorOf(path: string): Floor | undefined {
  let best: string | undefined;
  for (const key of Object.keys(FLOORS)) {
    const hit = key.endsWith("/") ? path.startsWith(key) : path === key;
    if (hit && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : FLOORS[best];
}

/** The unit of a file: its folder right under src/ (`src/report`), or the file itself. */
export function unitOf(path: string): string {
  const m = /^src\/([^/]+)\//.exec(path);
  return m ? `src/${m[1]}` : path;
}

function folderOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
}

function isPrivate(path: string): boolean {
  return /(^|\/)_[^/]*\.ts$/.test(path);
}

/** Strongly connected components of more than one node (or with a self-edge), Tarjan's way. */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Files reachable from `start` through static code imports. */
function staticClosure(modules: ReadonlyMap<string, ModuleImports>, start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const path = todo.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    todo.push(...(modules.get(path)?.code ?? []));
  }
  return seen;
}

/**
 * Every violation of the layering rules in an import graph, as sentences, less the
 * {@linkcode KNOWN_EXCEPTIONS} (and with any exception that no longer occurs).
 *
 * @param modules Each checked file with its imports (what {@linkcode readImports} returns).
 * @param exceptions Violations to accept. @default {KNOWN_EXCEPTIONS}
 * @returns The violations, sorted; empty when the layering holds.
 * @example
 * ```ts
 * import { findViolations } from "./check_layers.ts";
 * const file = (path: string, code: string[] = []) =>
 *   ({ path, code, types: [], dynamic: [], packages: [] });
 * const upward = findViolations([
 *   file("src/results/schema.ts", ["src/runner/profile_run.ts"]),
 *   file("src/runner/profile_run.ts"),
 * ], {});
 * if (!upward[0].includes("imports upward")) throw new Error(upward.join("\n"));
 * ```
 */
export function findViolations(
  modules: readonly ModuleImports[],
  exceptions: Readonly<Record<string, string>> = KNOWN_EXCEPTIONS,
): string[] {
  const byPath = new Map(modules.map((m) => [m.path, m]));
  const out: string[] = [];
  const fileEdges = new Map<string, Set<string>>();
  const unitEdges = new Map<string, Set<string>>();
  for (const m of modules) {
    const floor = floorOf(m.path);
    if (floor === undefined) {
      out.push(`${m.path} is on no floor: add it to FLOORS in scripts/check_layers.ts`);
      continue;
    }
    const targets = [...new Set([...m.code, ...m.types, ...m.dynamic])].sort();
    fileEdges.set(m.path, new Set(targets));
    for (const target of targets) {
      const to = floorOf(target);
      if (to !== undefined && FLOOR_NAMES.indexOf(to) < FLOOR_NAMES.indexOf(floor)) {
        out.push(`${m.path} (${floor}) imports upward: ${target} (${to})`);
      }
      if (isPrivate(target) && folderOf(target) !== folderOf(m.path)) {
        out.push(`${m.path} imports ${target}, which is private to ${folderOf(target)}/`);
      }
      const [from, into] = [unitOf(m.path), unitOf(target)];
      if (from !== into) {
        if (!unitEdges.has(from)) unitEdges.set(from, new Set());
        unitEdges.get(from)!.add(into);
      }
    }
    if (m.packages.includes("onnxruntime-node") && m.path !== "src/runner/ort.ts") {
      out.push(`${m.path} imports onnxruntime-node: only src/runner/ort.ts may`);
    }
    if (m.packages.includes("onnx-buf") && !m.path.startsWith("src/onnx/")) {
      out.push(`${m.path} imports onnx-buf: only src/onnx/ may`);
    }
  }
  for (const c of cycles(fileEdges)) out.push(`import cycle between files: ${c.join(", ")}`);
  for (const c of cycles(unitEdges)) out.push(`import cycle between units: ${c.join(", ")}`);
  if (byPath.has("mod.ts")) {
    for (const path of staticClosure(byPath, "mod.ts")) {
      const m = byPath.get(path);
      if (path.startsWith("src/runner/") || m?.packages.includes("onnxruntime-node")) {
        out.push(`mod.ts loads ${path}, which belongs behind runner.ts (onnxruntime)`);
      }
    }
  }
  const stale = Object.keys(exceptions).filter((e) => !out.includes(e))
    .map((e) => `no longer occurs, so drop it from KNOWN_EXCEPTIONS: ${e}`);
  return [...out.filter((v) => !(v in exceptions)), ...stale].sort();
}

interface InfoDependency {
  readonly specifier: string;
  readonly code?: { readonly specifier: string };
  readonly type?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly InfoDependency[];
}

async function tsFiles(root: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await tsFiles(root, path));
    else if (entry.isFile && entry.name.endsWith(".ts")) found.push(path);
  }
  return found;
}

/**
 * Reads the import graph of every `src/**\/*.ts` file and the entry points with `deno info
 * --json` (one run, through a temporary file that imports them all).
 *
 * @param root The repository root (holding deno.json).
 * @returns One entry per checked file, sorted by path.
 * @throws {Error} When `deno info` fails.
 */
export async function readImports(root: string): Promise<ModuleImports[]> {
  const files = [
    ...["mod.ts", "runner.ts"].filter((f) => {
      try {
        return Deno.statSync(join(root, f)).isFile;
      } catch {
        return false;
      }
    }),
    ...await tsFiles(root, "src"),
  ].sort();
  const dir = await Deno.makeTempDir({ prefix: "repstem-layers-" });
  try {
    const entry = join(dir, "all.ts");
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(join(root, f)).href)};\n`).join(""),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `--config=${join(root, "deno.json")}`, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`Cannot read the import graph: ${new TextDecoder().decode(output.stderr)}`);
    }
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: InfoModule[];
    };
    const local = (specifier: string | undefined) =>
      specifier?.startsWith("file:")
        ? relative(root, fileURLToPath(specifier)).replaceAll("\\", "/")
        : undefined;
    const checked = new Set(files);
    return info.modules.flatMap((m): ModuleImports[] => {
      const path = local(m.specifier);
      if (path === undefined || !checked.has(path)) return [];
      const deps = m.dependencies ?? [];
      const pick = (f: (d: InfoDependency) => string | undefined) =>
        [...new Set(deps.map(f).filter((p): p is string => p !== undefined))].sort();
      return [{
        path,
        code: pick((d) => (d.isDynamic ? undefined : local(d.code?.specifier))),
        types: pick((d) => (d.code ? undefined : local(d.type?.specifier))),
        dynamic: pick((d) => (d.isDynamic ? local(d.code?.specifier) : undefined)),
        packages: pick((d) =>
          /^npm:|^[a-z@]/.test(d.specifier) && !d.specifier.startsWith("node:")
            ? d.specifier.replace(/^npm:/, "").replace(/(.)@.*$/, "$1")
            : undefined
        ),
      }];
    }).sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const violations = findViolations(await readImports(root));
  for (const v of violations) console.error(v);
  console.error(
    violations.length === 0 ? "Layering holds" : `${violations.length} layering violation(s)`,
  );
  Deno.exit(violations.length === 0 ? 0 : 1);
}
