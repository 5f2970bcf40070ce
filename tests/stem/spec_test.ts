/** Tests for stemBlocks, validateStemSpec, blockOutputSize and seChannels. */
import assert from "node:assert/strict";
import {
  blockOutputSize,
  seChannels,
  stemBlocks,
  type StemSpec,
  validateStemSpec,
} from "../../src/stem/spec.ts";
import { spec } from "../_helpers.ts";

Deno.test("stemBlocks() follows the README's RepStem table for I=3, C=64", () => {
  const blocks = stemBlocks(spec({ width: 64 }));
  const geometry = blocks.map((b) => [
    b.index,
    b.inChannels,
    b.outChannels,
    b.kernel,
    b.stride,
    b.pad,
    b.groups,
  ]);
  assert.deepEqual(geometry, [
    [1, 3, 64, 3, 2, 1, 1],
    [2, 64, 64, 3, 2, 1, 64],
    [3, 64, 64, 1, 1, 0, 1],
  ]);
});

Deno.test("stemBlocks() gives the skip branch to block 3 only", () => {
  for (const s of [spec(), spec({ inChannels: 8, width: 8 }), spec({ scaleBranch: false })]) {
    // block 1 keeps stride 2 even when I == C, so it never has a skip
    assert.deepEqual(stemBlocks(s).map((b) => b.hasSkip), [false, false, true]);
  }
});

Deno.test("stemBlocks() gives the scale branch to blocks 1-2 only, and only when asked", () => {
  assert.deepEqual(stemBlocks(spec()).map((b) => b.hasScale), [true, true, false]);
  assert.deepEqual(stemBlocks(spec({ scaleBranch: false })).map((b) => b.hasScale), [
    false,
    false,
    false,
  ]);
});

Deno.test("stemBlocks() copies branches, SE and activation into every block", () => {
  const blocks = stemBlocks(spec({ branches: 4, se: true, activation: "relu" }));
  for (const b of blocks) assert.deepEqual([b.branches, b.se, b.activation], [4, true, "relu"]);
});

Deno.test("validateStemSpec() returns a valid spec and accepts 1 and 8 branches", () => {
  const s = spec({ branches: 8 });
  assert.equal(validateStemSpec(s), s);
  assert.doesNotThrow(() => validateStemSpec(spec({ branches: 1, width: 1, inChannels: 1 })));
});

Deno.test("validateStemSpec() throws RangeError naming the field and value", () => {
  const bad: [Partial<StemSpec>, RegExp][] = [
    [{ branches: 0 }, /'branches'.*1\.\.8.*current value is 0/],
    [{ branches: 9 }, /'branches'.*current value is 9/],
    [{ width: -1 }, /'width'.*current value is -1/],
    [{ width: 1.5 }, /'width'.*current value is 1\.5/],
    [{ width: NaN }, /'width'/],
    [{ inChannels: 0 }, /'inChannels'/],
    [{ branches: 2.5 }, /'branches'/],
    [{ activation: "swish" as "gelu" }, /'activation'.*"swish"/],
  ];
  for (const [o, message] of bad) {
    assert.throws(
      () => validateStemSpec(spec(o)),
      (e) => e instanceof RangeError && message.test(e.message),
    );
    assert.throws(() => stemBlocks(spec(o)), RangeError);
  }
});

Deno.test("blockOutputSize() applies floor((R + 2p - k) / s) + 1", () => {
  const [b1, b2, b3] = stemBlocks(spec());
  // 224: (224 + 2 - 3) / 2 = 111.5 -> 112; 225: 224 / 2 = 112 -> 113
  assert.deepEqual([224, 225, 1, 2].map((r) => blockOutputSize(b1, r)), [112, 113, 1, 1]);
  assert.deepEqual([112, 113].map((r) => blockOutputSize(b2, r)), [56, 57]);
  assert.deepEqual([56, 57].map((r) => blockOutputSize(b3, r)), [56, 57]);
});

Deno.test("seChannels() is floor(C / 16), at least 1", () => {
  assert.deepEqual([8, 16, 48, 64, 76].map(seChannels), [1, 1, 3, 4, 4]);
});
