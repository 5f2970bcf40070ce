/**
 * A `ref:REF` side of an A/B run: the harness as it was at a git commit. The commit's tracked
 * files are extracted into a temporary folder (`git archive`, so the repository and its work
 * tree are left as they are), and that commit's own `export --scenario` writes every case's two
 * graphs, its stems built and its models fused by its code, from the scenario and model files as
 * the commit holds them. The graphs are then timed in this process, beside the other side's.
 * Runs git and Deno; any problem is bad input (exit 2) naming the side, and the temporary folder
 * is removed whatever happens.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { exportedSource, MANIFEST_FILE, parseExportManifest } from "../source/exported.ts";
import { formatSide, type LoadedSide, type Side } from "./side.ts";
import type { ModelRef } from "../scenario/expand.ts";

/** Options of {@linkcode loadRefSide}. */
export interface RefSideOptions {
  /**
   * The repository the ref is looked up in: any folder inside it.
   * @default {the working directory}
   */
  readonly repo?: string;
  /**
   * How long the ref's export may take, ms.
   * @default {600_000}
   */
  readonly timeoutMs?: number;
  /** Stops the ref's export (Ctrl-C); the extracted commit is removed all the same. */
  readonly signal?: AbortSignal;
}

/** The permissions of `deno task export`, given to the ref's export. */
const EXPORT_PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env"];

async function git(
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const o = await new Deno.Command("git", { args, cwd, stdin: "null" }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { ok: o.success, out: text(o.stdout), err: text(o.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: `git could not run: ${(e as Error).message}` };
  }
}

/**
 * The line of a process's stderr that says why it failed: its first `error: ...` line (the
 * harness prints its usage after it), else its last non-empty line; without terminal colours.
 */
function lastLine(text: string): string {
  // deno-lint-ignore no-control-regex -- strips the colour codes Deno prints
  const lines = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  return lines.find((l) => /^error:/i.test(l)) ?? lines.filter((l) => l !== "").pop() ?? "";
}

/**
 * Loads a `ref:REF` side: resolves the ref to a commit, extracts it, runs its export of the
 * scenario and reads the result back.
 *
 * @param side The ref side.
 * @param flag The flag it came from (`--baseline`), named in errors.
 * @param scenarioPath The scenario file in the working tree; the side uses the file at the same
 *   path in the commit (a scenario outside the repository is used as it is).
 * @param options The repository and the export's time limit.
 * @returns The side; call its `dispose` to remove the extracted commit.
 * @throws {RangeError} When git does not know the ref, the commit has no such scenario, or the
 *   commit's harness cannot export it (one that predates `export --scenario`, or a bad scenario).
 */
export async function loadRefSide(
  side: Extract<Side, { kind: "ref" }>,
  flag: string,
  scenarioPath: string,
  options: RefSideOptions = {},
): Promise<LoadedSide> {
  const spec = formatSide(side);
  const fail = (why: string): never => {
    throw new RangeError(`Cannot use '${flag}' "${spec}" as ${why}`);
  };
  const cwd = resolve(options.repo ?? ".");
  const top = await git(["rev-parse", "--show-toplevel"], cwd);
  if (!top.ok) fail(`"${cwd}" is not in a git repository (${lastLine(top.err)})`);
  const root = top.out;
  const rev = await git(["rev-parse", "--verify", "--quiet", `${side.ref}^{commit}`], root);
  if (!rev.ok || !/^[0-9a-f]{40,64}$/.test(rev.out)) fail(`git knows no commit "${side.ref}"`);
  const commit = rev.out;
  const scenarioAbs = resolve(scenarioPath);
  const rel = relative(root, scenarioAbs);
  const inRepo = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  if (inRepo && !(await git(["cat-file", "-e", `${commit}:${rel}`], root)).ok) {
    fail(`commit ${commit.slice(0, 12)} has no scenario "${rel}"`);
  }
  const dir = await Deno.makeTempDir({ prefix: "repstem-ref-" });
  // Removed by dispose, or when the process exits first (a second Ctrl-C exits at once)
  const onUnload = () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", onUnload);
  const dispose = async () => {
    globalThis.removeEventListener("unload", onUnload);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await extract(root, commit, dir, fail);
    const out = join(dir, ".repstem-export");
    const sideScenario = inRepo ? join(dir, rel) : scenarioAbs;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--config=${join(dir, "deno.json")}`,
        ...EXPORT_PERMISSIONS,
        join(dir, "src", "cli.ts"),
        "export",
        "--scenario",
        sideScenario,
        "--out",
        out,
      ],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.any([
        AbortSignal.timeout(options.timeoutMs ?? 600_000),
        ...(options.signal ? [options.signal] : []),
      ]),
    });
    const ran = await child.output().catch((e: Error) =>
      fail(`its export did not finish: ${e.message}`)
    );
    const stderr = new TextDecoder().decode(ran.stderr);
    if (ran.code !== 0 && ran.code !== 1) {
      const why = lastLine(stderr);
      if (/--scenario|Unknown option|unknown option/i.test(why)) {
        fail(
          `the harness at ${commit.slice(0, 12)} predates 'export --scenario', which an A/B ` +
            `run needs at the ref (pick a later ref): ${why}`,
        );
      }
      fail(`its export of the scenario exited with code ${ran.code}: ${why || "(no message)"}`);
    }
    const manifestPath = join(out, MANIFEST_FILE);
    const text = await Deno.readTextFile(manifestPath).catch(() =>
      fail(`its export wrote no ${MANIFEST_FILE}: ${lastLine(stderr) || "(no message)"}`)
    );
    const manifest = parseExportManifest(text, `${spec}:${MANIFEST_FILE}`);
    const local = (path: string) => {
      const r = relative(dir, path);
      return r.startsWith("..") || isAbsolute(r) ? path : `${commit}:${r}`;
    };
    const cases = manifest.cases.map((c) => {
      const config = c.config.model
        ? { ...c.config, model: { ...c.config.model, path: local(c.config.model.path) } }
        : c.config;
      return { ...c, config };
    });
    const models = new Map<string, ModelRef>();
    for (const c of cases) if (c.config.model) models.set(c.config.model.path, c.config.model);
    const source = exportedSource({ ...manifest, cases }, out, spec);
    return {
      record: { spec, kind: "ref", ref: side.ref, commit, models: [...models.values()] },
      cases: cases.map(({ id, config }) => ({ id, config })),
      source,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** Writes the commit's tracked files into `dir` with `git archive | tar -x`. */
async function extract(
  root: string,
  commit: string,
  dir: string,
  fail: (why: string) => never,
): Promise<void> {
  const archive = new Deno.Command("git", {
    args: ["archive", "--format=tar", commit],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tar = new Deno.Command("tar", {
    args: ["-x", "-C", dir],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const [, a, aErr, t, tErr] = await Promise.all([
    archive.stdout.pipeTo(tar.stdin).catch(() => {}),
    archive.status,
    new Response(archive.stderr).text(),
    tar.status,
    new Response(tar.stderr).text(),
  ]);
  if (!a.success || !t.success) {
    fail(
      `commit ${commit.slice(0, 12)} could not be extracted: ${lastLine(a.success ? tErr : aErr)}`,
    );
  }
}
