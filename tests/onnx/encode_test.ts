/** Tests for encodeModel/decodeModel: lossless round trip, ORT loading, and onnx's own checker. */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../src/onnx/decode.ts";
import { encodeModel, formatTag, parseTag } from "../../src/onnx/encode.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { buildMultiBranchStem } from "../../src/stem/multi_branch.ts";
import { buildReparamStem } from "../../src/stem/reparameterized.ts";
import type { StemSpec } from "../../src/stem/spec.ts";
import { randomStemWeights } from "../../src/stem/weights.ts";
import { hasPythonOnnx, spec } from "../_helpers.ts";

const geo = { batchSize: 2, resolution: 32 };

function graphs(o: Partial<StemSpec>): [string, Graph][] {
  const s = spec(o);
  const w = randomStemWeights(s, 3);
  return [
    ["multi-branch", buildMultiBranchStem(s, w, geo)],
    ["reparameterized", buildReparamStem(s, w, geo)],
  ];
}

/** ONNX float attributes are float32: the only value a round trip may change is their rounding. */
function withFloat32Attributes(g: Graph): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => ({
      ...n,
      attributes: Object.fromEntries(
        Object.entries(n.attributes).map((
          [k, a],
        ) => [k, a.type === "float" ? { ...a, value: Math.fround(a.value) } : a]),
      ),
    })),
  };
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

for (const o of [{ branches: 2, se: true }, { activation: "relu" as const, scaleBranch: false }]) {
  for (const [form, g] of graphs(o)) {
    Deno.test(`decodeModel() inverts encodeModel(): ${form} ${JSON.stringify(o)}`, () => {
      const back = decodeModel(encodeModel(g));
      assert.deepEqual(back, withFloat32Attributes(g));
      // deepEqual on typed arrays compares values; check the initializer bits too
      assert.equal(back.initializers.length, g.initializers.length);
      back.initializers.forEach((t, i) =>
        assert.deepEqual(bytesOf(t.data), bytesOf(g.initializers[i].data), t.name)
      );
      assert.ok(back.nodes.every((n, i) => n.tag && n.tag.block === g.nodes[i].tag?.block));
    });
  }
}

Deno.test("encodeModel() round-trips every attribute kind and special float bits", () => {
  const g: Graph = {
    name: "kinds",
    opset: 17,
    inputs: [{ name: "x", shape: [1, 2] }],
    outputs: [{ name: "y", shape: [1, 2] }],
    initializers: [
      { name: "s", dims: [], data: new Float32Array([-0]) },
      { name: "t", dims: [4], data: new Float32Array([NaN, Infinity, -Infinity, 1e-45]) },
    ],
    nodes: [{
      name: "n",
      opType: "Identity",
      inputs: ["x"],
      outputs: ["y"],
      attributes: {
        i: { type: "int", value: -3 },
        is: { type: "ints", value: [0, 2 ** 40] },
        f: { type: "float", value: 0.5 },
        s: { type: "string", value: "héllo" },
      },
    }],
  };
  const back = decodeModel(encodeModel(g));
  assert.deepEqual(back, g);
  assert.deepEqual(
    back.initializers.map((t) => bytesOf(t.data)),
    g.initializers.map((t) => bytesOf(t.data)),
  );
  assert.equal("tag" in back.nodes[0], false);
});

Deno.test("formatTag() and parseTag() invert each other and reject other doc strings", () => {
  const tag = { block: 3, branch: "kxk12" };
  assert.equal(formatTag(tag), "repstem:block=3;branch=kxk12");
  assert.deepEqual(parseTag(formatTag(tag)), tag);
  assert.equal(parseTag(""), undefined);
  assert.equal(parseTag("a comment"), undefined);
});

Deno.test("encodeModel() bytes load in onnxruntime with the graph's inputs and outputs", async () => {
  for (const [, g] of graphs({ se: true })) {
    const session = await ort.InferenceSession.create(encodeModel(g), {
      graphOptimizationLevel: "disabled",
    });
    assert.deepEqual([session.inputNames, session.outputNames], [["input"], ["output"]]);
    await session.release();
  }
});

const pythonOnnx = await hasPythonOnnx();

Deno.test({
  name: "encodeModel() output passes onnx.checker.check_model(full_check=True) (python3-onnx)",
  // skipped only off CI when Debian's python3-onnx is not installed; CI must run it
  ignore: !pythonOnnx && Deno.env.get("CI") !== "true",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "repstem_check_" });
    const check = async (name: string, g: Graph) => {
      const path = `${dir}/${name}.onnx`;
      await Deno.writeFile(path, encodeModel(g));
      const { success, stderr } = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)",
          path,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      return { success, stderr: new TextDecoder().decode(stderr) };
    };
    try {
      const built = graphs({ se: true, activation: "gelu", branches: 2 });
      for (const [form, g] of built) {
        const { success, stderr } = await check(form, g);
        assert.ok(success, `${form}: ${stderr}`);
      }
      // the checker can fail: a Conv whose weight has the wrong rank must be rejected
      const [, deploy] = built[1];
      const broken = {
        ...deploy,
        initializers: deploy.initializers.map((t) =>
          t.name === "block1.conv.weight" ? { ...t, dims: [t.data.length] } : t
        ),
      };
      assert.equal((await check("broken", broken)).success, false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
