/**
 * `deno task reparam MODEL.onnx`: fuses every reparameterizable structure of a user's model at
 * graph level, writes the fused model, proves on onnxruntime that it computes the same function
 * (against the model's own fp32 noise floor) and prints what changed.
 *
 * @module
 */
import { basename, dirname, extname, join } from "node:path";
import { parseCommandLine, UsageError } from "../args.ts";
import { printErr, printOut } from "../output.ts";
import { encodeModel } from "../onnx/encode.ts";
import type { Graph } from "../onnx/ir.ts";
import { parseShapeFlags, withInputShape } from "../onnx/input_shape.ts";
import { loadModelInput } from "../source/model_file.ts";
import { fuseGraph, type Merge } from "../reparam/graph/fuse.ts";
import { countGraph, type GraphCounts } from "../profile/counts.ts";
import { formatCount, formatRatio } from "../text_format.ts";
import { randomInput } from "../stem/weights.ts";
import { HELP } from "./help.ts";

/** Cache of the traffic estimate, as a scenario's default (4 MiB). */
const CACHE_BYTES = 4 * 1024 * 1024;

/** Where the fused model goes when `--out` is not given: beside the input. */
function defaultFusedPath(modelPath: string): string {
  const ext = extname(modelPath);
  return join(dirname(modelPath), `${basename(modelPath, ext)}.reparameterized${ext || ".onnx"}`);
}

function histogramText(h: Record<string, number>): string {
  const entries = Object.entries(h).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((a, [, n]) => a + n, 0);
  return `${entries.map(([op, n]) => `${op} ${n}`).join(", ")} (${total})`;
}

function countsOf(graph: Graph, input: string, shape: readonly number[]): GraphCounts {
  return countGraph(withInputShape(graph, input, shape), { cacheBytes: CACHE_BYTES });
}

function mergeLine(m: Merge): string {
  const kinds = new Map<string, number>();
  // largest kernels first, then the input-only branches (identity, bn-skip, scale)
  const order = [...m.branches].sort((a, b) =>
    b.kernel[0] * b.kernel[1] - a.kernel[0] * a.kernel[1] ||
    Number(b.kind.startsWith("conv")) - Number(a.kind.startsWith("conv")) ||
    a.kind.localeCompare(b.kind)
  );
  for (const b of order) kinds.set(b.kind, (kinds.get(b.kind) ?? 0) + 1);
  const parts = [...kinds].map(([k, n]) => (n > 1 ? `${k} x${n}` : k)).join(" + ");
  return `  ${m.output}: ${parts} -> Conv ${m.kernel.join("x")}${
    m.group > 1 ? ` group ${m.group}` : ""
  } (from ${m.replaced.length} nodes: ${m.replaced.slice(0, 4).join(", ")}${
    m.replaced.length > 4 ? ", ..." : ""
  })`;
}

/** Runs `reparam` and returns its exit code (0 equal, 1 not equal, 2 bad input). */
export async function reparam(args: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandLine(
    args,
    {
      out: { type: "string" },
      shape: { type: "string", multiple: true },
      json: { type: "boolean" },
      multiple: { type: "string" },
      seed: { type: "string" },
    },
    HELP.reparam,
    1,
  );
  if (v.help) return printOut(HELP.reparam), 0;
  const [modelPath] = positionals;
  if (!modelPath) throw new UsageError(`Missing MODEL.onnx\n\n${HELP.reparam}`);
  const multiple = v.multiple === undefined ? 10 : Number(v.multiple);
  if (!(multiple >= 1)) {
    throw new UsageError(
      `Cannot reparameterize as '--multiple' must be a number >= 1: current value is "${v.multiple}"`,
    );
  }
  const seed = v.seed === undefined ? 0 : Number(v.seed);
  if (!Number.isInteger(seed)) {
    throw new UsageError(
      `Cannot reparameterize as '--seed' must be an integer: current value is "${v.seed}"`,
    );
  }
  // a file that cannot be used throws ModelInputError: one line naming it, exit 2
  const model = await loadModelInput(modelPath, parseShapeFlags(v.shape as string[] | undefined));
  const { graph, input } = model;
  const fused = fuseGraph(graph);
  const outPath = (v.out as string | undefined) ?? defaultFusedPath(modelPath);
  await Deno.writeFile(outPath, encodeModel(fused.graph));
  const before = countsOf(graph, input.name, input.shape);
  const after = countsOf(fused.graph, input.name, input.shape);
  const { verifyFusion } = await import("../runner/verify.ts");
  const data = randomInput(input.shape.reduce((a, b) => a * b, 1), seed);
  const verification = await verifyFusion(graph, fused.graph, data, input.shape, {
    multiple,
    taps: fused.merges.map((m) => ({ name: m.output, label: m.node })),
  });
  const summary = {
    model: modelPath,
    sha256: model.sha256,
    fused: outPath,
    input: { name: input.name, shape: input.shape },
    inlinedFunctions: model.inlinedFunctions,
    unchanged: fused.unchanged,
    merges: fused.merges,
    nodes: { before: before.total.nodes, after: after.total.nodes },
    params: { before: before.total.params, after: after.total.params },
    buffers: { before: before.total.buffers, after: after.total.buffers },
    macs: { before: before.total.macs, after: after.total.macs },
    flops: { before: before.total.flops.total, after: after.total.flops.total },
    uncounted: after.uncounted,
    verification,
  };
  if (v.json) printOut(JSON.stringify(summary, null, 2));
  else printOut(formatSummary(summary));
  if (!verification.equal) {
    const worst = verification.taps.slice(0, 3).map((t) =>
      `${t.label} (normwise ${t.normwise.toExponential(2)})`
    );
    printErr(
      `error: the fused model differs from "${modelPath}" by normwise ${
        verification.error.normwise.toExponential(2)
      }, over the tolerance ${verification.tolerance.toExponential(2)}; largest errors in: ${
        worst.join(", ") || "no merge group (the outputs only)"
      }. The fused model is written to "${outPath}" for inspection`,
    );
    return 1;
  }
  return 0;
}

type Summary = {
  model: string;
  fused: string;
  input: { name: string; shape: readonly number[] };
  /** Local functions inlined on reading: the fused model is written flat. */
  inlinedFunctions: number;
  unchanged: boolean;
  merges: readonly Merge[];
  nodes: { before: Record<string, number>; after: Record<string, number> };
  params: { before: number; after: number };
  buffers: { before: number; after: number };
  macs: { before: number; after: number };
  flops: { before: number; after: number };
  uncounted: GraphCounts["uncounted"];
  verification: Awaited<ReturnType<typeof import("../runner/verify.ts").verifyFusion>>;
};

function formatSummary(s: Summary): string {
  const e = (x: number) => x.toExponential(2);
  const ratio = (a: number, b: number) => (b > 0 ? ` (${formatRatio(a / b)})` : "");
  const v = s.verification;
  const lines = [
    `${s.model} -> ${s.fused}`,
    `input ${s.input.name} [${s.input.shape.join("x")}]`,
    ...(s.inlinedFunctions > 0
      ? [
        `inlined ${s.inlinedFunctions} local function${
          s.inlinedFunctions === 1 ? "" : "s"
        }: the model is fused and written as one flat graph`,
      ]
      : []),
    s.unchanged
      ? s.inlinedFunctions > 0
        ? "nothing to fuse: the model is written with its local functions inlined"
        : "nothing to fuse: the model is written unchanged"
      : `${s.merges.length} merge group(s), each now one Conv:`,
    ...s.merges.map(mergeLine),
    `nodes    ${histogramText(s.nodes.before)}`,
    `      -> ${histogramText(s.nodes.after)}`,
    `params   ${formatCount(s.params.before)} -> ${formatCount(s.params.after)}; BN buffers ${
      formatCount(s.buffers.before)
    } -> ${formatCount(s.buffers.after)}`,
    `MACs     ${formatCount(s.macs.before)} -> ${formatCount(s.macs.after)}${
      ratio(s.macs.before, s.macs.after)
    }; FLOPs ${formatCount(s.flops.before)} -> ${formatCount(s.flops.after)}`,
    ...(s.uncounted.length > 0
      ? [`not counted: ${[...new Set(s.uncounted.map((u) => u.opType))].join(", ")}`]
      : []),
    `error    max abs ${e(v.error.maxAbs)}, normwise ${e(v.error.normwise)} (fused vs original, ` +
    `onnxruntime cpu, optimizer off)`,
    `floor    normwise ${e(v.floor.normwise)} (the model itself, optimizer off vs all); ` +
    `tolerance ${e(v.tolerance)} = max(${v.multiple} x floor, 1e-5)`,
    v.equal ? "equal within tolerance" : "NOT equal within tolerance",
  ];
  return lines.join("\n");
}
