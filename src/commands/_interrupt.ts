/**
 * Ctrl-C for the commands that run cases: the first finishes the current case and saves, the
 * second stops at once (the results of finished cases are already saved).
 *
 * @module
 */
import { printErr } from "../output.ts";

/**
 * Listens for SIGINT until `dispose` is called.
 *
 * @param outPath Where the results are saved, named in the message of a second Ctrl-C.
 * @returns The signal the case loop watches, and `dispose` to stop listening.
 */
export function interruptOnCtrlC(outPath: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      printErr("\nStopping now; results of finished cases are in " + outPath);
      Deno.exit(130);
    }
    printErr(
      "\nInterrupted: finishing the current case, then saving (Ctrl-C again to stop at once)",
    );
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  return {
    signal: controller.signal,
    dispose: () => Deno.removeSignalListener("SIGINT", onSignal),
  };
}
