/** Tests for readModelFile: external data beside the model, and one-line errors naming the file. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TypeProto_SequenceSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from "onnx-buf";
import { encodeModel } from "../../src/onnx/encode.ts";
import type { Graph } from "../../src/onnx/ir.ts";
import { readModelFile } from "../../src/onnx/load.ts";
import { randomInput } from "../../src/stem/weights.ts";

const graph: Graph = {
  name: "net",
  opset: 17,
  inputs: [{ name: "x", shape: [-1, 3], dimNames: ["batch", undefined] }],
  outputs: [{ name: "y", shape: [-1, 3], dimNames: ["batch", undefined] }],
  initializers: [{ name: "w", dims: [3], data: new Float32Array([0.5, -1, 2]) }],
  nodes: [{ name: "add", opType: "Add", inputs: ["x", "w"], outputs: ["y"], attributes: {} }],
};

/** The graph's model with "w" stored at `offset` of external file `location`. */
function withExternalWeights(location: string, offset: number): Uint8Array {
  const model = fromBinary(ModelProtoSchema, encodeModel(graph));
  const w = model.graph?.initializer[0];
  assert.ok(w);
  w.rawData = new Uint8Array();
  w.dataLocation = TensorProto_DataLocation.EXTERNAL;
  w.externalData = [["location", location], ["offset", `${offset}`], ["length", "12"]].map((
    [key, value],
  ) => create(StringStringEntryProtoSchema, { key, value }));
  return toBinary(ModelProtoSchema, model);
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "repstem_load_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts readModelFile(path) rejects with `type` and exactly `message` (one line). */
async function rejects(
  path: string,
  type: new (...args: never[]) => Error,
  message: string,
): Promise<void> {
  const e = await readModelFile(path).then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof type, `${path}: ${e}`);
  assert.equal(e.message, message);
  assert.ok(!e.message.includes("\n") && e.message.includes(`"${path}"`));
}

Deno.test("readModelFile() reads external data beside the model and hashes the .onnx bytes", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "net.onnx");
    const bytes = withExternalWeights("weights/net.bin", 4);
    await Deno.writeFile(path, bytes);
    await Deno.mkdir(join(dir, "weights"));
    const data = new Uint8Array(20);
    data.set(new Uint8Array(graph.initializers[0].data.buffer), 4);
    await Deno.writeFile(join(dir, "weights/net.bin"), data);
    const loaded = await readModelFile(path);
    assert.deepEqual(loaded.graph.initializers, graph.initializers);
    assert.deepEqual(loaded.graph.inputs, graph.inputs);
    assert.deepEqual(loaded.bytes, bytes);
    const { stdout } = await new Deno.Command("sha256sum", { args: [path] }).output();
    assert.equal(loaded.sha256, new TextDecoder().decode(stdout).split(" ")[0]);
    // the decoded graph writes the model back with its weights inline
    assert.deepEqual(
      encodeModel(loaded.graph),
      encodeModel({ ...graph, model: loaded.graph.model }),
    );
  });
});

Deno.test("readModelFile() names the file when it is missing, empty or a directory", async () => {
  await inTempDir(async (dir) => {
    const missing = join(dir, "missing.onnx");
    await rejects(
      missing,
      Deno.errors.NotFound,
      `Cannot read model "${missing}" as it does not exist`,
    );
    const empty = join(dir, "empty.onnx");
    await Deno.writeFile(empty, new Uint8Array());
    await rejects(empty, SyntaxError, `Cannot read model "${empty}" as it is empty`);
    await rejects(dir, TypeError, `Cannot read model "${dir}" as it is a directory`);
  });
});

Deno.test("readModelFile() says a file is not an ONNX model: noise, JSON, truncated", async () => {
  await inTempDir(async (dir) => {
    const model = encodeModel(graph);
    const files: [string, Uint8Array][] = [
      ["noise.onnx", Uint8Array.from(randomInput(100, 5), (v) => Math.floor((v + 1) * 128))],
      ["config.json", new TextEncoder().encode(JSON.stringify({ model: "net", opset: 17 }))],
      ["truncated.onnx", model.subarray(0, model.length >> 1)],
    ];
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      await rejects(
        path,
        SyntaxError,
        `Cannot read model "${path}" as it is not an ONNX model (truncated or another format)`,
      );
    }
  });
});

Deno.test("readModelFile() names missing, escaping and short external data files", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "net.onnx");
    await Deno.writeFile(path, withExternalWeights("net.onnx.data", 0));
    await rejects(
      path,
      Deno.errors.NotFound,
      `Cannot read model "${path}" as its external data "net.onnx.data" is missing`,
    );
    await Deno.writeFile(join(dir, "net.onnx.data"), new Uint8Array(10));
    await rejects(
      path,
      TypeError,
      `Cannot read model "${path}" as its external data "net.onnx.data" has 10 bytes, fewer than offset 0 plus length 12`,
    );
    await Deno.writeFile(path, withExternalWeights("../secret.bin", 0));
    await rejects(
      path,
      TypeError,
      `Cannot read model "${path}" as its external data "../secret.bin" is outside the model's folder`,
    );
  });
});

Deno.test("readModelFile() names the file when the model holds what the IR cannot", async () => {
  await inTempDir(async (dir) => {
    const model = fromBinary(ModelProtoSchema, encodeModel(graph));
    model.graph?.input.push(create(ValueInfoProtoSchema, {
      name: "s",
      type: create(TypeProtoSchema, {
        value: { case: "sequenceType", value: create(TypeProto_SequenceSchema) },
      }),
    }));
    const path = join(dir, "seq.onnx");
    await Deno.writeFile(path, toBinary(ModelProtoSchema, model));
    await rejects(
      path,
      TypeError,
      `Cannot read model "${path}": cannot decode value "s" as it is not a tensor`,
    );
  });
});
