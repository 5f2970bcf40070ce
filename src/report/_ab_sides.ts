/**
 * A/B report sections that say what was compared and where: each side (its spec, onnxruntime-node
 * version, process, git ref and model files) and the machine's context. Private to src/report/.
 *
 * @module
 */
import type { AbResults, AbSideRecord } from "../ab/results.ts";
import { escapeHtml } from "./escape.ts";
import { type Cell, html, section, table } from "./_html.ts";
import { formatCpu } from "../text_format.ts";

/** Characters of a SHA-256 or commit shown in tables (the full value is in the cell's title). */
const SHORT_HASH = 12;

/**
 * A side in a few words for sentences: `onnxruntime-node 1.30.0` for an `ort:` side, the spec with
 * its commit for a git ref, else the spec (`models:DIR`, `working tree`).
 */
export function sideWords(side: AbSideRecord, other?: AbSideRecord): string {
  if (side.kind === "ort") {
    return `onnxruntime-node ${side.ortVersion ?? side.spec.replace(/^ort:/, "")}`;
  }
  const words = side.commit ? `${side.spec} at ${side.commit.slice(0, SHORT_HASH)}` : side.spec;
  // Against an ort: side, the version is what tells the two apart
  return other?.kind === "ort" && side.ortVersion
    ? `${words}, onnxruntime-node ${side.ortVersion}`
    : words;
}

function hashCell(value: string | undefined): Cell {
  if (value === undefined) return "-";
  return html(
    `<code title="${escapeHtml(value)}">${escapeHtml(value.slice(0, SHORT_HASH))}</code>`,
  );
}

function modelsCell(side: AbSideRecord): Cell {
  if (side.models.length === 0) return "-";
  return html(
    side.models.map((m) =>
      `<span title="${escapeHtml(`${m.path}\nSHA-256 ${m.sha256}`)}">${
        escapeHtml(m.name)
      }</span> ` +
      `<code>${escapeHtml(m.sha256.slice(0, SHORT_HASH))}</code>`
    ).join("<br>"),
  );
}

/** The two sides side by side: spec, kind, onnxruntime-node, process, git ref, folder, models. */
export function sidesSection(results: AbResults): string {
  const { baseline, candidate } = results.sides;
  const both = [baseline, candidate];
  const rows: [string, (s: AbSideRecord) => Cell][] = [
    ["side", (s) => s.spec],
    ["kind", (s) => s.kind],
    ["onnxruntime-node (as run)", (s) => s.ortVersion ?? "-"],
    ["process", (s) => s.process ?? "-"],
  ];
  if (both.some((s) => s.ref !== undefined || s.commit !== undefined)) {
    rows.push(["git ref", (s) => s.ref ?? "-"]);
    rows.push(["commit", (s) => hashCell(s.commit)]);
  }
  if (both.some((s) => s.dir !== undefined)) rows.push(["folder", (s) => s.dir ?? "-"]);
  rows.push(["model files (SHA-256)", modelsCell]);
  return section("sides", "What was compared", [
    table(
      "sides",
      ["", "baseline", "candidate"],
      rows.map(([name, get]) => [name, ...both.map(get)]),
    ),
  ]);
}

/** Where and how the run happened, as the main report's context table shows a bench run. */
export function contextSection(results: AbResults): string {
  const c = results.context;
  const n = (state: string) => results.cases.filter((r) => r.state === state).length;
  const rows: Cell[][] = [
    ["scenario", c.scenario?.name ?? "-"],
    ["description", c.scenario?.description ?? "-"],
    ["scenario file", c.scenario?.path ?? "-"],
    ["scenario SHA-256", c.scenario?.hash ?? "-"],
    ["git commit (harness)", c.gitCommit ?? "-"],
    [
      "started / finished",
      `${c.startedAt ?? "-"} / ${c.finishedAt ?? "-"}${c.interrupted ? " (interrupted)" : ""}`,
    ],
    ["tool", c.tool ? `${c.tool.name} ${c.tool.version}` : "-"],
    ["onnxruntime-node (coordinator)", c.ortVersion ?? "-"],
    ["Deno (V8)", `${c.denoVersion ?? "-"} (${c.v8Version ?? "-"})`],
    ["OS / arch", `${c.os ?? "-"} / ${c.arch ?? "-"}`],
    ["CPU", c.cpu ? formatCpu(c.cpu) : "-"],
  ];
  if (c.gpuAdapter) {
    rows.push([
      "GPU adapter",
      Object.entries(c.gpuAdapter).map(([k, v]) => `${k}: ${v}`).join(", "),
    ]);
  }
  rows.push(["cases", `${n("completed")} compared, ${n("errored")} errored`]);
  return section("context", "Machine and run", [table("context", ["", "value"], rows)]);
}
