/**
 * A fake A/B worker for tests: the real protocol loop (serve) with fake sessions on a fake clock,
 * so each run reports exactly its planted duration. Its behaviour comes as JSON in argv[0]:
 * `version` greeted, `durations` per session name (fake ms), `dieOnRun` / `hangOnRun` (the n-th
 * run, 1-based, across sessions, after the loads' first runs), `log` (a file each run appends
 * `side name start end` to, in real epoch ms), `side`.
 */
import { serve } from "../../src/runner/worker_protocol.ts";

interface Plan {
  version: string;
  side: string;
  durations: Record<string, number>;
  dieOnRun?: number;
  hangOnRun?: number;
  log?: string;
  noHello?: boolean;
}

const plan: Plan = JSON.parse(Deno.args[0]);
const opened = new Set<string>(); // sessions open in the order of `durations`
if (plan.noHello) setInterval(() => {}, 1000); // never greets, never ends
else {
  let now = 0;
  let runs = 0;
  await serve({
    ortVersion: plan.version,
    clock: () => now,
    open: (_model, _input, _dims, _options) => {
      let first = true;
      const name = Object.keys(plan.durations).find((n) => !opened.has(n))!;
      opened.add(name);
      return Promise.resolve({
        run: async () => {
          if (first) {
            first = false;
            now += 10 * plan.durations[name];
            return;
          }
          runs++;
          if (runs === plan.dieOnRun) {
            console.error(`planted crash on run ${runs}`);
            Deno.exit(3);
          }
          if (runs === plan.hangOnRun) {
            setInterval(() => {}, 1000);
            await new Promise(() => {});
          }
          const start = performance.timeOrigin + performance.now();
          while (performance.timeOrigin + performance.now() - start < 0.3) { /* busy */ }
          now += plan.durations[name];
          if (plan.log) {
            const end = performance.timeOrigin + performance.now();
            Deno.writeTextFileSync(plan.log, `${plan.side} ${name} ${start} ${end}\n`, {
              append: true,
            });
          }
        },
        release: () => Promise.resolve(),
      });
    },
  });
  Deno.exit(0);
}
