/** Test helpers without native code: optional tools (detection, skip notes) and captured output. */
import { redirectOutput } from "../src/output.ts";

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

/** Runs a command function with its printOut / printErr output captured (see src/output.ts). */
export async function captureOutput(
  run: () => Promise<number>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  redirectOutput({ out: (t) => void out.push(t), err: (t) => void err.push(t) });
  try {
    const code = await run();
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    redirectOutput();
  }
}
