/** Helpers shared by the scenario tests: fixture paths and text. */

const FIXTURES = new URL("../testdata/scenarios/", import.meta.url);

/** Absolute path of a scenario fixture. */
export function fixturePath(name: string): string {
  return decodeURIComponent(new URL(name, FIXTURES).pathname);
}

/** Text of a scenario fixture. */
export function readFixture(name: string): string {
  return Deno.readTextFileSync(fixturePath(name));
}

/** The smallest valid scenario text, with extra fields merged in. */
export function scenarioText(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: "t",
    description: "test",
    resolutions: [224],
    widths: [48],
    ...extra,
  });
}

/** Runs fn and returns what it throws, checking its class (node:assert's throws returns nothing). */
export function catchError<T extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  errorClass: new (...args: any[]) => T,
): T {
  try {
    fn();
  } catch (error) {
    if (error instanceof errorClass) return error;
    throw new Error(`Expected a ${errorClass.name}, got ${error}`, { cause: error });
  }
  throw new Error(`Expected a ${errorClass.name}, but nothing was thrown`);
}
