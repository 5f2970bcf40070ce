/** Tests for the pure parts of an int8 case's measurement: block outputs and integer kernels. */
import assert from "node:assert/strict";
import { blockOutputs, integerKernelsOf } from "../src/int8_case.ts";
import { buildReparamStem } from "../src/stem/reparameterized.ts";
import { randomStemWeights } from "../src/stem/weights.ts";
import { spec } from "./_helpers.ts";

Deno.test("blockOutputs() names each block's last node's output, in block order", () => {
  const s = spec({ width: 8 });
  const g = buildReparamStem(s, randomStemWeights(s, 1), { batchSize: 1, resolution: 32 });
  const outs = blockOutputs(g);
  assert.deepEqual([...outs.keys()], [1, 2, 3]);
  for (const [block, name] of outs) {
    const writers = g.nodes.filter((n) => n.outputs.includes(name));
    assert.equal(writers.length, 1);
    assert.equal(writers[0].tag?.block, block);
    // nothing after it in graph order belongs to the block
    const i = g.nodes.indexOf(writers[0]);
    assert.ok(g.nodes.slice(i + 1).every((n) => n.tag?.block !== block));
  }
  // the last block's output is the stem's output
  assert.equal(outs.get(3), g.outputs[0].name);
});

Deno.test("integerKernelsOf() sorts an optimized model's ops into integer kernels and float convs", () => {
  const k = integerKernelsOf({
    "com.microsoft.QLinearConv": 3,
    QLinearConv: 1,
    "com.microsoft.QLinearAdd": 2,
    ConvInteger: 1,
    QGemm: 1,
    QuantizeLinear: 4,
    DequantizeLinear: 4,
    Conv: 1,
    "com.microsoft.FusedConv": 2,
    "com.microsoft.nchwc.Conv": 1,
    Transpose: 2,
  });
  assert.deepEqual(k.integerKernels, {
    "com.microsoft.QLinearConv": 3,
    QLinearConv: 1,
    "com.microsoft.QLinearAdd": 2,
    ConvInteger: 1,
    QGemm: 1,
  });
  assert.equal(k.floatConvs, 4);
  assert.deepEqual(integerKernelsOf({}), { integerKernels: {}, floatConvs: 0 });
});
