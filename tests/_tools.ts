/** Test helpers for optional tools, without native code: detection and skip notes. */

/**
 * Whether a test that needs an optional tool should be ignored: only off CI (`CI=true`) when the
 * tool is missing, and then the reason is printed. `.ci/run` installs every such tool, so on CI
 * the test runs, and fails if the tool is missing.
 */
export function ignoreWithout(available: boolean, what: string): boolean {
  if (available) return false;
  if (Deno.env.get("CI") === "true") return false;
  console.warn(`note: ${what} is missing here, so the tests that need it are ignored`);
  return true;
}

/** Whether `/usr/bin/python3` can import the onnx module (Debian's python3-onnx). */
export async function hasPythonOnnx(): Promise<boolean> {
  let success = false;
  try {
    success = (await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import onnx"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    success = false;
  }
  ignoreWithout(success, "Debian's python3-onnx (apt-get install python3-onnx)");
  return success;
}
