/**
 * The worker process of an A/B run with its own onnxruntime-node: `deno run --config CFG
 * src/runner/ab_worker.ts`, where CFG maps `onnxruntime-node` to the version wanted. It greets
 * with the version it really loaded, then serves the line protocol of worker_protocol.ts on
 * stdin and stdout until told to exit or its stdin ends.
 *
 * @module
 */
import { createSession, ortVersion } from "./ort.ts";
import { serve } from "./worker_protocol.ts";

if (import.meta.main) {
  await serve({
    ortVersion: ortVersion(),
    open: async (model, input, dims, options) => {
      const session = await createSession(model, options);
      return { run: session.bind(input, dims), release: () => session.release() };
    },
  });
  Deno.exit(0);
}
