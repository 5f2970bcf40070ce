/**
 * `deno task schema`: writes the scenario JSON Schema that editors use.
 *
 * @module
 */
import { printOut } from "../output.ts";
import { parseOptions } from "../args.ts";
import { scenarioJsonSchema } from "../scenario/schema.ts";
import { DEFAULT_SCHEMA_OUT, HELP } from "./help.ts";

/** Runs `schema` and returns its exit code. */
export async function schema(args: string[]): Promise<number> {
  const v = parseOptions(args, { out: { type: "string" } }, HELP.schema);
  if (v.help) return printOut(HELP.schema), 0;
  const out = (v.out as string | undefined) ?? DEFAULT_SCHEMA_OUT;
  await Deno.writeTextFile(out, JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
  printOut(`Wrote ${out}`);
  return 0;
}
