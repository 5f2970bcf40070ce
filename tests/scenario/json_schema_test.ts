/**
 * The committed JSON Schema (what editors use) checked by an independent validator, Python's
 * `jsonschema` (Debian's python3-jsonschema): it must accept every scenario the harness accepts,
 * and reject the bad fixtures whose fault a JSON Schema can express.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseScenario } from "../../src/scenario/parse.ts";
import { scenarioJsonSchema } from "../../src/scenario/schema.ts";
import { ignoreWithout } from "../_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SCHEMA = join(ROOT, "scenarios/scenario.schema.json");
const FIXTURES = join(ROOT, "tests/testdata/scenarios");

// For each file, whether Python's jsonschema accepts it, one "path\tok|first error" line each
const VALIDATE = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema) if "2020-12" in schema.get("$schema", "") else jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=str)
    print(path + "\\t" + ("ok" if not errs else errs[0].message.replace("\\n", " ")))
`;

async function hasJsonSchema(): Promise<boolean> {
  try {
    const args = ["-c", "import jsonschema"];
    return (await new Deno.Command("/usr/bin/python3", { args, stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

async function validate(paths: string[]): Promise<Map<string, string>> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", VALIDATE, SCHEMA, ...paths],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return new Map(lines.map((l) => l.split("\t") as [string, string]));
}

const has = await hasJsonSchema();

Deno.test("scenarios/scenario.schema.json is up to date with the zod schema it is made from", async () => {
  // Fails when the schema changed and `deno task schema` was not run
  assert.deepEqual(JSON.parse(await Deno.readTextFile(SCHEMA)), scenarioJsonSchema());
});

Deno.test({
  name: "the JSON Schema accepts what parseScenario() accepts and rejects its schema-level faults",
  ignore: ignoreWithout(has, "Debian's python3-jsonschema (apt-get install python3-jsonschema)"),
  async fn() {
    const bundled = [...Deno.readDirSync(join(ROOT, "scenarios"))]
      .map((e) => join(ROOT, "scenarios", e.name))
      .filter((p) => p.endsWith(".json") && !p.endsWith("scenario.schema.json"));
    const fixtures = [...Deno.readDirSync(FIXTURES)]
      .map((e) => join(FIXTURES, e.name))
      .filter((p) => p.endsWith(".json"));
    const verdicts = await validate([...bundled, ...fixtures]);
    for (const path of [...bundled, ...fixtures]) {
      const text = await Deno.readTextFile(path);
      let accepted = true;
      try {
        parseScenario(text, path);
      } catch {
        accepted = false;
      }
      const verdict = verdicts.get(path);
      if (accepted) assert.equal(verdict, "ok", path);
      // Cross-field rules (sampling bounds) are beyond a JSON Schema; the rest it must catch
      else if (!/bad_sampling|bad_many/.test(path)) assert.notEqual(verdict, "ok", path);
    }
    assert.ok(bundled.length >= 7 && fixtures.some((p) => p.includes("bad_unknown_key")));
  },
});
