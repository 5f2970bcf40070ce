/**
 * `deno task reparam` and `deno task count MODEL.onnx` end to end: real PyTorch exports
 * (tests/testdata/torch, made by scripts/torch_exports/export.py) and bad files, in a child process.
 */
import assert from "node:assert/strict";
import { cli, ROOT } from "./_cli.ts";
import { join } from "node:path";
import { decodeModel } from "../../src/onnx/decode.ts";
import { encodeModel } from "../../src/onnx/encode.ts";
import { Net } from "../reparam/graph/_nets.ts";
import { hasPythonOnnx, ignoreWithout } from "../_tools.ts";

const TORCH = join(ROOT, "tests/testdata/torch");

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const ops = (bytes: Uint8Array) => decodeModel(bytes).nodes.map((n) => n.opType);

for (const net of ["mobileone", "repvgg", "fastvit", "repvit"]) {
  Deno.test(`reparam fuses PyTorch's ${net}.train.onnx: no BatchNormalization, equal, JSON`, async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "fused.onnx");
    const ran = await cli(["reparam", join(TORCH, `${net}.train.onnx`), "--out", out, "--json"]);
    assert.equal(ran.code, 0, ran.stderr);
    const summary = JSON.parse(ran.stdout);
    const fused = await Deno.readFile(out);
    assert.ok(!ops(fused).includes("BatchNormalization"));
    // The same number of convs as PyTorch's own reparameterized export of the same weights
    const deploy = ops(await Deno.readFile(join(TORCH, `${net}.deploy.onnx`)));
    assert.equal(
      ops(fused).filter((o) => o === "Conv").length,
      deploy.filter((o) => o === "Conv").length,
    );
    assert.ok(summary.merges.length > 0 && summary.verification.equal);
    assert.ok(summary.params.after < summary.params.before);
    assert.equal(summary.buffers.after, 0);
    // the error is measured against the model's own floor, never below normwise 1e-5
    assert.ok(summary.verification.tolerance >= 1e-5);
    assert.ok(summary.verification.error.normwise <= summary.verification.tolerance);
    assert.match(summary.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(summary.input, { name: "input", shape: [1, 3, 64, 64] }); // batch 1
    // the fused model keeps the dynamic batch of the export
    assert.equal(decodeModel(fused).inputs[0].dimNames?.[0], "batch");
  });
}

Deno.test("reparam and count inline PyTorch's module functions (mobileone.train_functions.onnx)", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "fused.onnx");
  const model = join(TORCH, "mobileone.train_functions.onnx");
  const ran = await cli(["reparam", model, "--out", out]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(
    ran.stdout,
    /^inlined 13 local functions: the model is fused and written as one flat graph$/m,
  );
  assert.match(ran.stdout, /7 merge group\(s\), each now one Conv/);
  const fused = ops(await Deno.readFile(out));
  assert.ok(!fused.includes("BatchNormalization"));
  const deploy = ops(await Deno.readFile(join(TORCH, "mobileone.deploy.onnx")));
  assert.equal(
    fused.filter((o) => o === "Conv").length,
    deploy.filter((o) => o === "Conv").length,
  );
  const json = await cli(["reparam", model, "--out", out, "--json"]);
  const summary = JSON.parse(json.stdout);
  assert.equal(summary.inlinedFunctions, 13);
  assert.ok(summary.verification.equal);
  const counted = await cli(["count", model]);
  assert.equal(counted.code, 0, counted.stderr);
  assert.match(counted.stdout, /Conv/);
  assert.doesNotMatch(counted.stdout, /export\.MobileOneNet/);
});

Deno.test("reparam prints merges, histograms, counts and the noise floor; default output path", async () => {
  const dir = await Deno.makeTempDir();
  const model = join(dir, "net.onnx");
  await Deno.copyFile(join(TORCH, "mobileone.train_preserve.onnx"), model);
  const ran = await cli(["reparam", model]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.ok(await exists(join(dir, "net.reparameterized.onnx")));
  assert.match(ran.stdout, /merge group\(s\), each now one Conv/);
  assert.match(ran.stdout, /conv 3x3 x4 \+ conv 1x1 \+ bn-skip -> Conv 3x3 group 16/);
  assert.match(ran.stdout, /floor +normwise .* tolerance/);
  assert.match(ran.stdout, /equal within tolerance/);
});

const pythonOnnx = await hasPythonOnnx();

Deno.test({
  name: "reparam output passes onnx.checker with full_check (python3-onnx)",
  ignore: ignoreWithout(pythonOnnx, "Debian's python3-onnx"),
  async fn() {
    const dir = await Deno.makeTempDir();
    for (const net of ["mobileone", "fastvit", "repvit"]) {
      const out = join(dir, `${net}.onnx`);
      const ran = await cli(["reparam", join(TORCH, `${net}.train.onnx`), "--out", out]);
      assert.equal(ran.code, 0, ran.stderr);
      const check = await new Deno.Command("/usr/bin/python3", {
        args: [
          "-c",
          "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
          out,
        ],
      }).output();
      assert.ok(check.success, new TextDecoder().decode(check.stderr));
    }
  },
});

Deno.test("reparam writes a model with nothing to fuse unchanged and says so", async () => {
  const net = new Net(3);
  const x = net.input("x", [1, 4, 8, 8]);
  const graph = net.graph(x, net.relu(net.conv(x.name, { cout: 4, k: 3, bias: true })));
  const dir = await Deno.makeTempDir();
  const model = join(dir, "plain.onnx");
  await Deno.writeFile(model, encodeModel(graph));
  const ran = await cli(["reparam", model, "--out", join(dir, "out.onnx")]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /nothing to fuse: the model is written unchanged/);
  assert.deepEqual(
    decodeModel(await Deno.readFile(join(dir, "out.onnx"))),
    decodeModel(
      await Deno.readFile(model),
    ),
  );
});

Deno.test("reparam needs --shape for a dynamic spatial size and takes it", async () => {
  const net = new Net(4);
  const x = net.input("img", [-1, 3, -1, -1], ["batch", undefined, "height", "width"]);
  const y = net.relu(net.add(
    net.bn(net.conv(x.name, { cout: 8, k: 3 })),
    net.bn(net.conv(x.name, {
      cout: 8,
      k: 1,
    })),
  ));
  const dir = await Deno.makeTempDir();
  const model = join(dir, "dyn.onnx");
  await Deno.writeFile(model, encodeModel(net.graph(x, y)));
  const out = join(dir, "out.onnx");
  const bad = await cli(["reparam", model, "--out", out]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /dyn\.onnx.*"img".*dynamic dimension 2 \("height"\).*--shape img=1x3xDxD/,
  );
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.ok(!(await exists(out)), "nothing written on bad input");
  const unknown = await cli(["reparam", model, "--shape", "image=1x3x16x16", "--out", out]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no input "image": its inputs are "img"/);
  const ok = await cli(["reparam", model, "--shape", "img=2x3x16x20", "--out", out, "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).input.shape, [2, 3, 16, 20]);
});

Deno.test("reparam and count exit 2 with one line naming the file for bad files", async () => {
  const dir = await Deno.makeTempDir();
  const good = await Deno.readFile(join(TORCH, "repvgg.train.onnx"));
  const files: Record<string, Uint8Array> = {
    "empty.onnx": new Uint8Array(),
    "text.onnx": new TextEncoder().encode('{"not": "onnx"}'),
    "truncated.onnx": good.subarray(0, good.length >> 1),
  };
  const net = new Net(5);
  const v = net.input("v", [1, 16]);
  files["vector.onnx"] = encodeModel(net.graph(v, net.relu(v.name)));
  for (const [name, bytes] of Object.entries(files)) await Deno.writeFile(join(dir, name), bytes);
  for (const name of [...Object.keys(files), "missing.onnx"]) {
    for (const command of ["reparam", "count"]) {
      const out = join(dir, `${name}.out`);
      const ran = await cli([
        command,
        join(dir, name),
        ...(command === "reparam" ? ["--out", out] : []),
      ]);
      assert.equal(ran.code, 2, `${command} ${name}: ${ran.stderr}`);
      const lines = ran.stderr.trim().split("\n");
      assert.equal(lines.length, 1, ran.stderr);
      assert.ok(lines[0].includes(name), lines[0]);
      assert.doesNotMatch(ran.stderr, / {4}at /); // no stack trace
      assert.ok(!(await exists(out)));
    }
  }
});

Deno.test("count MODEL.onnx counts any model and lists the ops it cannot count", async () => {
  const net = new Net(6);
  const x = net.input("x", [1, 3, 8, 8]);
  const c = net.conv(x.name, { cout: 4, k: 3, bias: true });
  const odd = net.op("com.example.Mystery", [c]);
  const dir = await Deno.makeTempDir();
  const model = join(dir, "m.onnx");
  await Deno.writeFile(model, encodeModel(net.graph(x, net.relu(odd))));
  const ran = await cli(["count", model, "--json"]);
  assert.equal(ran.code, 0, ran.stderr);
  const counts = JSON.parse(ran.stdout);
  // Conv 3 -> 4, 3x3, pad 1 on 8x8: 4 * 8 * 8 * 3 * 9 = 6,912 MACs; params 4*3*9 + 4 = 112
  assert.equal(counts.total.macs, 6912);
  assert.equal(counts.total.params, 112);
  assert.deepEqual(counts.uncounted.map((u: { opType: string }) => u.opType), [
    "com.example.Mystery",
    "Relu",
  ]);
  const text = await cli(["count", model]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /not counted \(2 nodes\): com\.example\.Mystery, Relu/);
});
