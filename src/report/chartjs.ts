/**
 * Finds and reads chart.js's UMD build from the npm package the import map names, so the report
 * can inline it: no CDN, nothing fetched when the report is opened.
 *
 * Deno keeps npm packages in its cache (`nodeModulesDir: "none"`); the package's `main` entry is
 * resolved through Node's resolver (`createRequire(import.meta.url).resolve("chart.js")`, which
 * gives `.../chart.js/<version>/dist/chart.cjs`), and the UMD build is its sibling
 * `dist/chart.umd.min.js` (or `dist/chart.umd.js`). Reading it needs `--allow-read`.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkInlineScript } from "./escape.ts";

/** File names of the UMD build in chart.js's `dist/` folder, preferred first. */
const UMD_FILES = ["chart.umd.min.js", "chart.umd.js"] as const;

function resolveEntry(): string {
  const errors: string[] = [];
  try {
    return createRequire(import.meta.url).resolve("chart.js");
  } catch (e) {
    errors.push((e as Error).message);
  }
  try {
    return fileURLToPath(import.meta.resolve("chart.js"));
  } catch (e) {
    errors.push((e as Error).message);
  }
  throw new Error(
    `Cannot find the chart.js package (run "npx -y deno@2.9.6 install" to cache it): ${
      errors.join("; ")
    }`,
  );
}

/**
 * Finds the path of chart.js's UMD build.
 *
 * @returns An absolute path to `chart.umd.min.js` or `chart.umd.js`.
 * @throws {Error} When the package or its UMD build cannot be found.
 */
export function findChartJs(): string {
  const dist = dirname(resolveEntry());
  for (const file of UMD_FILES) {
    const path = join(dist, file);
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch (e) {
      // A missing file: try the next name; anything else (no read permission) is reported.
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new Error(`Cannot read chart.js's UMD build "${path}": ${(e as Error).message}`);
      }
    }
  }
  throw new Error(`Cannot find chart.js's UMD build (${UMD_FILES.join(" or ")}) in "${dist}"`);
}

/**
 * Reads chart.js's UMD build, checked to be inlinable in a `<script>` element.
 *
 * @returns The JavaScript source, which defines the global `Chart`.
 * @throws {Error} When the file cannot be found or read, or does not look like chart.js.
 */
export async function loadChartJs(): Promise<string> {
  const path = findChartJs();
  const source = await Deno.readTextFile(path);
  if (!/Chart\.js v\d/.test(source.slice(0, 200))) {
    throw new Error(`Cannot use "${path}" as chart.js: it has no "Chart.js v" banner`);
  }
  return checkInlineScript(source, `"${path}"`);
}
