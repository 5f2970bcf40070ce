/**
 * Builds a small MobileOne-style network in its multi-branch train form with the harness's ONNX
 * IR and seeded weights, as a user would export it: a 3x3 stride-2 stem block (conv+BN branches
 * and a 1x1 scale branch), depthwise 3x3 blocks (conv+BN branches, a 1x1 scale branch, a BN skip
 * when the stride is 1), pointwise 1x1 blocks (conv+BN branches, a BN skip when the channels
 * stay), ReLU after every block, and a classifier head (GlobalAveragePool, Flatten, Gemm) that
 * has nothing to fuse. The batch dimension is dynamic; H and W are dynamic too unless a
 * resolution is given.
 *
 * Run `deno run --allow-write scripts/make_example_model.ts [OUT.onnx]` to (re)write
 * `scenarios/models/mobileone_tiny.onnx`, the model `scenarios/models.json` benchmarks; tests
 * import {@linkcode buildMobileOneTrain}.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Graph, Initializer, Node } from "../src/onnx/ir.ts";
import { float, int, ints } from "../src/onnx/ir.ts";
import { encodeModel } from "../src/onnx/encode.ts";
import { createRandom } from "../src/stats/random.ts";

/** Options of {@linkcode buildMobileOneTrain}. */
export interface ExampleModelOptions {
  /** Seed of the weights. @default 7 */
  readonly seed?: number;
  /** Channels after the stem block (doubled by the last pointwise block). @default 16 */
  readonly width?: number;
  /** Conv+BN branches per block (MobileOne's k). @default 2 */
  readonly branches?: number;
  /** Fixed input H = W; dynamic H and W when absent. */
  readonly resolution?: number;
  /** Classes of the Gemm head. @default 10 */
  readonly classes?: number;
}

/** Where the committed example model lives. */
export const EXAMPLE_MODEL_PATH = "scenarios/models/mobileone_tiny.onnx";

const BN_EPSILON = 1e-5;

/**
 * Builds the train-form network described in the module doc.
 *
 * @param options Seed, width, branches, fixed resolution, classes.
 * @returns An untagged graph (opset 17) with input `input` `[batch, 3, H, W]` and output
 * `logits` `[batch, classes]`.
 * @example
 * ```ts
 * import { buildMobileOneTrain } from "./make_example_model.ts";
 * const g = buildMobileOneTrain({ resolution: 32 });
 * if (g.inputs[0].shape.join() !== "-1,3,32,32") throw new Error();
 * if (!g.nodes.some((n) => n.opType === "BatchNormalization")) throw new Error();
 * ```
 */
export function buildMobileOneTrain(options: ExampleModelOptions = {}): Graph {
  const { seed = 7, width = 16, branches = 2, resolution, classes = 10 } = options;
  const random = createRandom(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * random();
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const constant = (name: string, dims: number[], f: (i: number) => number) => {
    const size = dims.reduce((a, b) => a * b, 1);
    initializers.push({ name, dims, data: Float32Array.from({ length: size }, (_, i) => f(i)) });
    return name;
  };
  // Inference BatchNorm with statistics of order 1, so activations stay of order 1.
  const bn = (name: string, x: string, c: number) => {
    const out = `${name}_out`;
    nodes.push({
      name,
      opType: "BatchNormalization",
      inputs: [
        x,
        constant(`${name}.weight`, [c], () => uniform(0.5, 1.5)),
        constant(`${name}.bias`, [c], () => uniform(-0.2, 0.2)),
        constant(`${name}.running_mean`, [c], () => uniform(-0.1, 0.1)),
        constant(`${name}.running_var`, [c], () => uniform(0.5, 2)),
      ],
      outputs: [out],
      attributes: { epsilon: float(BN_EPSILON) },
    });
    return out;
  };
  const conv = (
    name: string,
    x: string,
    [cin, cout, group]: readonly [number, number, number],
    k: number,
    stride: number,
  ) => {
    const fanIn = (cin / group) * k * k;
    const scale = Math.sqrt(2 / fanIn);
    const out = `${name}_out`;
    nodes.push({
      name,
      opType: "Conv",
      inputs: [
        x,
        constant(`${name}.weight`, [cout, cin / group, k, k], () => uniform(-1, 1) * scale * 1.7),
      ],
      outputs: [out],
      attributes: {
        kernel_shape: ints([k, k]),
        strides: ints([stride, stride]),
        pads: ints(Array(4).fill((k - 1) / 2)),
        group: int(group),
      },
    });
    return out;
  };
  const add = (name: string, xs: string[]) => {
    let acc = xs[0];
    xs.slice(1).forEach((x, i) => {
      const out = `${name}.add${i}_out`;
      nodes.push({
        name: `${name}.add${i}`,
        opType: "Add",
        inputs: [acc, x],
        outputs: [out],
        attributes: {},
      });
      acc = out;
    });
    return acc;
  };
  const relu = (name: string, x: string) => {
    const out = `${name}.relu_out`;
    nodes.push({
      name: `${name}.relu`,
      opType: "Relu",
      inputs: [x],
      outputs: [out],
      attributes: {},
    });
    return out;
  };
  /**
   * A MobileOne block: n conv+BN branches, a 1x1 scale conv+BN beside a 3x3 kernel, a BN skip
   * when the shape stays; depthwise when `group` is the channel count.
   */
  const block = (
    name: string,
    x: string,
    channels: readonly [number, number, number],
    k: number,
    stride: number,
    n = branches,
  ) => {
    const [cin, cout] = channels;
    const outs: string[] = [];
    for (let b = 0; b < n; b++) {
      const c = conv(`${name}.kxk${b}.conv`, x, channels, k, stride);
      outs.push(bn(`${name}.kxk${b}.bn`, c, cout));
    }
    if (k > 1) {
      const c = conv(`${name}.scale.conv`, x, channels, 1, stride);
      outs.push(bn(`${name}.scale.bn`, c, cout));
    }
    if (stride === 1 && cin === cout) outs.push(bn(`${name}.skip`, x, cout));
    return relu(name, add(name, outs));
  };
  let x = "input";
  const dw = [width, width, width] as const;
  x = block("stem", x, [3, width, 1], 3, 2, 1);
  x = block("stage1.dw", x, dw, 3, 1);
  x = block("stage1.pw", x, [width, width, 1], 1, 1);
  x = block("stage2.dw", x, dw, 3, 2);
  x = block("stage2.pw", x, [width, 2 * width, 1], 1, 1);
  nodes.push(
    {
      name: "head.pool",
      opType: "GlobalAveragePool",
      inputs: [x],
      outputs: ["pooled"],
      attributes: {},
    },
    {
      name: "head.flatten",
      opType: "Flatten",
      inputs: ["pooled"],
      outputs: ["features"],
      attributes: { axis: int(1) },
    },
    {
      name: "head.fc",
      opType: "Gemm",
      inputs: [
        "features",
        constant(
          "head.fc.weight",
          [classes, 2 * width],
          () => uniform(-1, 1) / Math.sqrt(2 * width),
        ),
        constant("head.fc.bias", [classes], () => uniform(-0.1, 0.1)),
      ],
      outputs: ["logits"],
      attributes: { transB: int(1) },
    },
  );
  const side = resolution ?? -1;
  return {
    name: "mobileone_tiny_train",
    opset: 17,
    inputs: [{
      name: "input",
      shape: [-1, 3, side, side],
      dimNames: [
        "batch",
        undefined,
        resolution ? undefined : "height",
        resolution ? undefined : "width",
      ],
    }],
    outputs: [{ name: "logits", shape: [-1, classes], dimNames: ["batch", undefined] }],
    initializers,
    nodes,
  };
}

if (import.meta.main) {
  const out = Deno.args[0] ?? EXAMPLE_MODEL_PATH;
  const bytes = encodeModel(buildMobileOneTrain());
  await Deno.mkdir(dirname(out), { recursive: true });
  await Deno.writeFile(out, bytes);
  console.log(`Wrote ${out} (${bytes.length} bytes)`);
}
