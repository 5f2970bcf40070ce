/** Tests for the shared plain-text formatting: numbers with units and aligned tables. */
import assert from "node:assert/strict";
import { formatCount, formatMs, formatTable } from "../src/text_format.ts";

Deno.test("formatCount() uses 1000-based suffixes with three significant digits", () => {
  assert.equal(formatCount(6592), "6.59k");
  assert.equal(formatCount(24_837_120), "24.8M");
  assert.equal(formatCount(1.23e12), "1.23T");
  assert.equal(formatCount(306e9), "306G");
  assert.equal(formatCount(999), "999");
});

Deno.test("formatMs() and formatTable() align and round", () => {
  assert.equal(formatMs(1.23456), "1.23");
  assert.equal(formatMs(123.4), "123");
  assert.equal(formatTable(["a", "bb"], [["xyz", "1"]]), "a    bb\n---  --\nxyz  1");
});
