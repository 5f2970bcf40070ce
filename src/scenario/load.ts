/**
 * Reads a scenario file: the only file of this folder that touches the file system.
 *
 * @module
 */

import { whyUnreadable } from "../text_format.ts";
import { parseScenario, ScenarioError } from "./parse.ts";
import type { Scenario } from "./schema.ts";

/** A scenario read from a file, with the exact text and its hash for the results' context. */
export interface LoadedScenario {
  /** The checked scenario, defaults applied. */
  readonly scenario: Scenario;
  /** The file's text, as read. */
  readonly text: string;
  /** SHA-256 of the text (UTF-8), lowercase hex. */
  readonly hash: string;
}

/**
 * Hashes text with SHA-256.
 *
 * @param text Any text, hashed as UTF-8.
 * @returns The digest as 64 lowercase hex digits.
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads, parses and checks a scenario file. Needs `--allow-read` for the path.
 *
 * @param path Path of the scenario JSON file, named in every error message.
 * @returns The scenario, the file's text and its SHA-256 hex hash.
 * @throws {ScenarioError} When the file does not exist or does not match the schema.
 * @throws {SyntaxError} When the file is not valid JSON.
 * @example
 * ```ts ignore
 * import { loadScenario } from "./load.ts";
 * const { scenario, hash } = await loadScenario("scenarios/fastvit_t8.json");
 * ```
 */
export async function loadScenario(path: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : whyUnreadable(error);
    throw new ScenarioError(`Cannot load scenario "${path}" as ${why}`, {
      source: path,
      cause: error,
    });
  }
  return { scenario: parseScenario(text, path), text, hash: await sha256Hex(text) };
}
