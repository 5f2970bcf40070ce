/** Tests for quantize.ts: hand-computed parameters, rounding, saturation, per-channel, bias. */
import assert from "node:assert/strict";
import {
  channelRanges,
  computeChannelParams,
  computeQuantParams,
  dequantize,
  dequantizePerChannel,
  quantize,
  quantizeBias,
  quantizePerChannel,
  roundHalfToEven,
} from "../../src/quantize/quantize.ts";

const f32 = (...v: number[]) => new Float32Array(v);

Deno.test("roundHalfToEven() sends ties to the even neighbour, others to the nearest", () => {
  const cases: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, 0],
    [-1.5, -2],
    [-2.5, -2],
    [-3.5, -4],
    [2.4999999, 2],
    [2.5000001, 3],
    [-2.5000001, -3],
    [254.5, 254],
    [255.5, 256],
  ];
  for (const [x, want] of cases) assert.equal(roundHalfToEven(x), want, `round(${x})`);
  assert.ok(Object.is(roundHalfToEven(-0.4), 0), "no negative zero");
});

Deno.test("computeQuantParams() matches onnxruntime's compute_scale_zp by hand", () => {
  // uint8: [-1, 3] -> scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64
  const a = computeQuantParams({ min: -1, max: 3 }, "uint8");
  assert.equal(a.scale, Math.fround(4 / 255));
  assert.equal(a.zeroPoint, 64);
  // uint8, range without 0 is widened to hold it: [0.5, 2.55] -> [0, 2.55], zero point 0
  const b = computeQuantParams({ min: 0.5, max: 2.55 }, "uint8");
  assert.equal(b.scale, Math.fround(2.55 / 255));
  assert.equal(b.zeroPoint, 0);
  // all negative: [-2.55, -1] -> [-2.55, 0], zero point 255
  assert.equal(computeQuantParams({ min: -2.55, max: -1 }, "uint8").zeroPoint, 255);
  // int8 symmetric: [-0.5, 1.27] -> m = 1.27, scale 2.54 / 254 = 0.01, zero point 0
  const s = computeQuantParams({ min: -0.5, max: 1.27 }, "int8");
  assert.equal(s.scale, Math.fround(0.01));
  assert.equal(s.zeroPoint, 0);
  // a tie in the zero point: [-0.5, 0.5] -> scale 1/255, -min/scale = 127.5 -> 128 (even)
  assert.equal(computeQuantParams({ min: -0.5, max: 0.5 }, "uint8").zeroPoint, 128);
});

Deno.test("computeQuantParams() gives a zero range scale 1 and zero point 0, marked", () => {
  for (const type of ["uint8", "int8"] as const) {
    const p = computeQuantParams({ min: 0, max: 0 }, type);
    assert.deepEqual(p, { type, scale: 1, zeroPoint: 0, zeroRange: true });
  }
  // a range below float32's smallest normal counts as zero, as in onnxruntime
  assert.equal(computeQuantParams({ min: 0, max: 1e-40 }, "uint8").zeroRange, true);
  assert.throws(
    () => computeQuantParams({ min: 1, max: 0 }, "uint8", 'tensor "t"'),
    /Cannot compute quantization parameters of tensor "t" as .*current value is \[1, 0\]/,
  );
  assert.throws(() => computeQuantParams({ min: NaN, max: 0 }, "int8"), RangeError);
});

Deno.test("quantize() rounds x / scale half to even, adds the zero point and saturates (uint8)", () => {
  const p = { type: "uint8", scale: 0.5, zeroPoint: 10, zeroRange: false } as const;
  const x = f32(0.25, 0.75, 1.25, -0.25, -0.75, -5, -5.5, -100, 122.25, 122.5, 122.75, 1000);
  // x / 0.5:  0.5, 1.5, 2.5, -0.5, -1.5, -10, -11, -200, 244.5, 245, 245.5, 2000
  // rounded:  0,   2,   2,   0,    -2,   -10, -11, -200, 244,   245, 246,   2000
  // + 10, saturated to 0..255:
  const want = [10, 12, 12, 10, 8, 0, 0, 0, 254, 255, 255, 255];
  const q = quantize(x, p);
  assert.ok(q instanceof Uint8Array);
  assert.deepEqual([...q], want);
});

Deno.test("quantize() saturates int8 at -128 and 127, and maps NaN to the zero point", () => {
  const p = { type: "int8", scale: 0.25, zeroPoint: 0, zeroRange: false } as const;
  // x / 0.25: 31.75 -> 32, 31.625 -> 32, -0.5 -> 0 (tie), 1.5 -> 2 (tie), 2.5 -> 2 (tie),
  // -2.5 -> -2 (tie), 127, 128 -> 127 (saturated), -128, -129 -> -128 (saturated)
  const x = f32(7.9375, 7.90625, -0.125, 0.375, 0.625, -0.625, 31.75, 32, -32, -32.25, NaN);
  const q = quantize(x, p);
  assert.ok(q instanceof Int8Array);
  assert.deepEqual([...q], [32, 32, 0, 2, 2, -2, 127, 127, -128, -128, 0]);
});

Deno.test("quantize() divides in float32, as QuantizeLinear does", () => {
  // 0.25 / fround(0.1) = 2.49999996..., which float32 rounds to 2.5; the tie then goes to 2;
  // fround(0.35) / fround(0.1) = 3.49999989..., rounded to 3.5 in float32, then to 4
  const p = computeQuantParams({ min: -12.7, max: 12.7 }, "int8");
  assert.equal(p.scale, Math.fround(0.1));
  assert.deepEqual([...quantize(f32(0.25, 0.35), p)], [2, 4]);
});

Deno.test("dequantize() computes (q - zeroPoint) * scale in float32", () => {
  assert.deepEqual([...dequantize(new Uint8Array([0, 10, 12, 255]), 0.5, 10)], [-5, 0, 1, 122.5]);
  assert.deepEqual([...dequantize(new Int8Array([-128, -1, 0, 127]), 0.25)], [
    -32,
    -0.25,
    0,
    31.75,
  ]);
  // round trip of a grid value is exact
  const p = computeQuantParams({ min: -1, max: 3 }, "uint8");
  const x = f32(p.scale * 100 - p.scale * p.zeroPoint);
  assert.equal(dequantize(quantize(x, p), p.scale, p.zeroPoint)[0], x[0]);
});

Deno.test("computeChannelParams() gives each output channel its own scale (hand tensor)", () => {
  // weight [3, 2]: ch0 [-1, 127/64] -> scale 1/64, levels [-64, 127]
  //                ch1 [0.5, -0.125] -> scale 0.5/127, levels [127, -31.75 -> -32]
  //                ch2 [0, 0] dead -> scale 1, levels [0, 0]
  const w = f32(-1, 127 / 64, 0.5, -0.125, 0, 0);
  const p = computeChannelParams(w, [3, 2], 0, "int8");
  assert.deepEqual([...p.scales], [1 / 64, Math.fround(0.5 / 127), 1]);
  assert.deepEqual([...p.zeroPoints], [0, 0, 0]);
  assert.deepEqual(p.zeroRangeChannels, [2]);
  const q = quantizePerChannel(w, [3, 2], p);
  assert.deepEqual([...q], [-64, 127, 127, -32, 0, 0]);
  const back = dequantizePerChannel(q, [3, 2], p);
  assert.deepEqual([...back].slice(0, 2), [-1, 127 / 64]);
  assert.deepEqual([...back].slice(4), [0, 0]);
});

Deno.test("computeChannelParams() works along a later axis and asymmetric uint8", () => {
  // [2, 2] along axis 1: channel 0 is {0, 2.55}, channel 1 is {-1, 3}
  const w = f32(0, -1, 2.55, 3);
  assert.deepEqual(channelRanges(w, [2, 2], 1), [{ min: 0, max: Math.fround(2.55) }, {
    min: -1,
    max: 3,
  }]);
  const p = computeChannelParams(w, [2, 2], 1, "uint8");
  assert.deepEqual([...p.zeroPoints], [0, 64]);
  assert.deepEqual([...quantizePerChannel(w, [2, 2], p)], [0, 0, 255, 255]);
  assert.throws(() => computeChannelParams(w, [2, 2], 2, "int8"), /axis 2 of a tensor of shape/);
  assert.throws(() => computeChannelParams(w, [3, 2], 0, "int8"), TypeError);
});

Deno.test("quantizeBias() uses input scale x weight scale per channel, int32, saturated", () => {
  // scales 0.5 * [0.25, 0.125] = [0.125, 0.0625]; 1 / 0.125 = 8; -0.09375 / 0.0625 = -1.5 -> -2
  const b = quantizeBias(f32(1, -0.09375), 0.5, f32(0.25, 0.125));
  assert.deepEqual([...b.data], [8, -2]);
  assert.deepEqual([...b.scales], [0.125, 0.0625]);
  assert.deepEqual(b.saturatedChannels, []);
  // per tensor: one weight scale for every channel
  assert.deepEqual([...quantizeBias(f32(0.1875, 3), 0.25, 0.25).data], [3, 48]);
  // a tiny scale overflows int32: 1 / 1e-20 and -1 / 1e-10 are saturated and reported
  const big = quantizeBias(f32(1, -1), 1e-10, f32(1e-10, 1));
  assert.deepEqual([...big.data], [2147483647, -2147483648]);
  assert.deepEqual(big.saturatedChannels, [0, 1]);
  assert.throws(() => quantizeBias(f32(1, 2), 1, f32(1)), /bias of 2 channels with 1 weight/);
});
