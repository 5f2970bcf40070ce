/**
 * Regenerates the report fixtures from two bench runs of ./scenario.json (cpu completes, webgpu
 * errors where no adapter exists, cuda is skipped where not installed), trimmed to stay small:
 *
 *   npx -y deno@2.9.6 task bench --scenario tests/testdata/results/scenario.json --out /tmp/before
 *   npx -y deno@2.9.6 task bench --scenario tests/testdata/results/scenario.json --out /tmp/after
 *   npx -y deno@2.9.6 run -R -W tests/testdata/results/trim.ts /tmp/before /tmp/after
 *
 * Trimming keeps every statistic as measured but cuts `samplesMs` to its first 16 samples, keeps
 * one errored webgpu case and one or two skipped cuda cases, drops `perNode` but in the first case,
 * and leaves a case out of each side so that a comparison has cases missing on either side.
 *
 * @module
 */
import type { CaseResult, Results } from "../../../src/results/schema.ts";

const KEEP_SAMPLES = 16;

function trimCase(c: CaseResult, index: number): CaseResult {
  // perNode is long and the report does not read it: the first case keeps it as an example.
  const perNode = <T>(f: T & { perNode: unknown }) => (index === 0 ? f : { ...f, perNode: [] });
  if (c.state !== "completed") {
    if (!c.forms) return c;
    return {
      ...c,
      forms: {
        multiBranch: perNode(c.forms.multiBranch),
        reparameterized: perNode(c.forms.reparameterized),
      },
    };
  }
  const trimForm = (f: typeof c.forms.multiBranch) => ({
    ...perNode(f),
    latencyMs: { ...f.latencyMs!, samplesMs: f.latencyMs!.samplesMs.slice(0, KEEP_SAMPLES) },
  });
  return {
    ...c,
    forms: {
      multiBranch: trimForm(c.forms.multiBranch),
      reparameterized: trimForm(c.forms.reparameterized),
    },
  };
}

function trim(results: Results, keep: (id: string) => boolean): Results {
  return { ...results, cases: results.cases.filter((c) => keep(c.id)).map(trimCase) };
}

const [beforeDir, afterDir] = Deno.args;
const read = async (dir: string) =>
  JSON.parse(await Deno.readTextFile(`${dir}/results.json`)) as Results;
const cpu = (id: string) => id.startsWith("cpu-");
const before = trim(await read(beforeDir), (id) => cpu(id) || id.endsWith("w16-r32"));
const after = trim(
  await read(afterDir),
  (id) => (cpu(id) && !id.endsWith("w24-r128")) || /-w16-r32$|^cuda-.*-w24-r32$/.test(id),
);
const here = new URL(".", import.meta.url);
await Deno.writeTextFile(new URL("before.json", here), JSON.stringify(before) + "\n");
await Deno.writeTextFile(new URL("after.json", here), JSON.stringify(after) + "\n");
