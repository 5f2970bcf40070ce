/**
 * The one importer of onnxruntime-node: sessions behind a small interface, provider detection,
 * and the runtime's version.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import type { Device, OptimizationLevel } from "../scenario/schema.ts";

/** Options of one session. */
export interface SessionOptions {
  /** The device to run on; `gpu` resolves to cuda, else webgpu (see {@linkcode providerStatus}). */
  readonly device: Device;
  /** intra-op threads (inter-op is always 1: nodes run sequentially). */
  readonly threads: number;
  /** onnxruntime's graph optimization level (`graphOptimizationLevel`). */
  readonly optimizationLevel: OptimizationLevel;
  /** Where onnxruntime saves the graph it executes after optimization. */
  readonly optimizedModelPath?: string;
  /** Turns the profiler on, writing `<prefix>_<date>.json` at {@linkcode Session.endProfiling}. */
  readonly profilePrefix?: string;
  /** WebGPU provider options (used when the device resolves to webgpu). */
  readonly webgpu?: WebGpuOptions;
}

/** WebGPU options that matter for speed, as the scenario sets them. */
export interface WebGpuOptions {
  /** Layout of layout-sensitive ops (convs): NHWC is faster on most GPUs. */
  readonly preferredLayout: "NCHW" | "NHWC";
  /** WebGPU validation: `disabled` for benchmarking, `basic` or `full` for debugging. */
  readonly validationMode: "disabled" | "wgpuOnly" | "basic" | "full";
  /** Replay captured command buffers (needs every node on the GPU and static shapes). */
  readonly enableGraphCapture: boolean;
}

/** onnxruntime's name of each provider, as its profiler writes it. */
export const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  cpu: "CPUExecutionProvider",
  webgpu: "WebGpuExecutionProvider",
  cuda: "CUDAExecutionProvider",
  tensorrt: "TensorrtExecutionProvider",
};

/** What one timed call of a device includes, written beside its latencies. */
export function latencyIncludes(provider: string): string {
  return provider === "cpu"
    ? "session.run on an input in JS memory: kernels plus copying the output into a JS tensor"
    : `session.run with input and output in JS memory: upload of the input to the ${provider} ` +
      "device, kernels, and download of the output (preferredOutputLocation 'gpu-buffer' is not " +
      "offered by onnxruntime-node, so output left on the device is not measured)";
}

/** Output of one run. */
export interface RunOutput {
  /** The output's elements, row-major, copied into JS memory. */
  readonly data: Float32Array;
  /** The output's shape. */
  readonly dims: readonly number[];
}

/** A loaded model, as onnxruntime's js `SessionHandler` is. */
export interface Session {
  /** Runs the model on one float32 input and returns its first output. */
  run(input: Float32Array, dims: readonly number[]): Promise<RunOutput>;
  /** Runs the model on one float32 input and returns every float32 output by name. */
  runAll(input: Float32Array, dims: readonly number[]): Promise<Record<string, RunOutput>>;
  /** A runner over a prebuilt input tensor, for timing loops (nothing allocated per call). */
  bind(input: Float32Array, dims: readonly number[]): () => Promise<void>;
  /** Ends profiling; returns the trace file's path, or undefined when profiling was off. */
  endProfiling(): string | undefined;
  /** Frees the native session; the session must not be used afterwards. */
  release(): Promise<void>;
}

/**
 * The WebGPU adapter as Deno's own `navigator.gpu` (wgpu) sees it; onnxruntime's Dawn enumerates
 * the same Vulkan devices. Undefined when there is none.
 */
export async function webGpuAdapterInfo(): Promise<Record<string, string> | undefined> {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return undefined;
    const { vendor, architecture, device, description } = adapter.info;
    return {
      vendor,
      architecture,
      device,
      description,
      backend: "vulkan (wgpu in Deno, Dawn in onnxruntime)",
    };
  } catch {
    return undefined;
  }
}

/** Whether a device can run here, and why not. */
export type ProviderStatus =
  | { readonly available: true; readonly provider: string }
  | { readonly available: false; readonly reason: string };

/** onnxruntime-node's version. */
export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function packageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
  } catch {
    return undefined;
  }
}

/** The folder of onnxruntime-node's native libraries for this platform, when found. */
export function nativeLibraryDir(): string | undefined {
  const dir = packageDir();
  return dir
    ? join(dir, "bin", "napi-v6", Deno.build.os, Deno.build.arch === "x86_64" ? "x64" : "arm64")
    : undefined;
}

const CUDA_HELP = "onnxruntime-node's npm package bundles only the cpu and webgpu providers; " +
  "the CUDA/TensorRT libraries are downloaded from NuGet by its install script. On a machine with " +
  "internet access and CUDA 12 run: ONNXRUNTIME_NODE_INSTALL=cuda12 npx -y deno@2.9.6 install " +
  "--allow-scripts=npm:onnxruntime-node@1.30.0 (or npm install onnxruntime-node@1.30.0 with the same " +
  "variable), then rerun";

/**
 * Detects whether a device's execution provider is present, without starting it.
 * `gpu` resolves to the first of cuda or webgpu that is present.
 */
export function providerStatus(device: Device): ProviderStatus {
  const supported = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const libs = nativeLibraryDir();
  const hasLib = (name: string) =>
    !!libs && existsSync(join(libs, `libonnxruntime_providers_${name}.so`));
  switch (device) {
    case "cpu":
      return { available: true, provider: "cpu" };
    case "webgpu":
      return supported.has("webgpu") ? { available: true, provider: "webgpu" } : {
        available: false,
        reason:
          `webgpu is not built into onnxruntime-node ${ortVersion()} on ${Deno.build.os}-${Deno.build.arch}`,
      };
    case "cuda":
    case "tensorrt":
      return hasLib(device) ? { available: true, provider: device } : {
        available: false,
        reason:
          `${device} provider library libonnxruntime_providers_${device}.so is not installed in ${
            libs ?? "onnxruntime-node's folder"
          }: ${CUDA_HELP}`,
      };
    case "gpu": {
      const cuda = providerStatus("cuda");
      return cuda.available ? cuda : providerStatus("webgpu");
    }
  }
}

/**
 * Creates a session on the device.
 *
 * @throws {Error} When onnxruntime cannot load the model or start the provider.
 */
export async function createSession(model: Uint8Array, options: SessionOptions): Promise<Session> {
  const status = providerStatus(options.device);
  if (!status.available) throw new Error(status.reason);
  const provider = status.provider === "webgpu" && options.webgpu
    ? {
      name: "webgpu" as const,
      preferredLayout: options.webgpu.preferredLayout,
      validationMode: options.webgpu.validationMode,
    }
    : status.provider;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [provider],
    ...(status.provider === "webgpu" && options.webgpu?.enableGraphCapture
      ? { enableGraphCapture: true }
      : {}),
    graphOptimizationLevel: options.optimizationLevel,
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 3,
    ...(options.optimizedModelPath ? { optimizedModelFilePath: options.optimizedModelPath } : {}),
    ...(options.profilePrefix
      ? { enableProfiling: true, profileFilePrefix: options.profilePrefix }
      : {}),
  });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  let profiling = !!options.profilePrefix;
  return {
    async run(input, dims) {
      const out = await session.run({ [inputName]: new ort.Tensor("float32", input, [...dims]) });
      const t = out[outputName];
      return { data: t.data as Float32Array, dims: [...t.dims] };
    },
    async runAll(input, dims) {
      const out = await session.run({ [inputName]: new ort.Tensor("float32", input, [...dims]) });
      const all: Record<string, RunOutput> = {};
      for (const [name, t] of Object.entries(out)) {
        if (t.type === "float32") all[name] = { data: t.data as Float32Array, dims: [...t.dims] };
      }
      return all;
    },
    bind(input, dims) {
      const feeds = { [inputName]: new ort.Tensor("float32", input, [...dims]) };
      return async () => {
        await session.run(feeds);
      };
    },
    endProfiling() {
      if (!profiling) return undefined;
      profiling = false;
      // Typed as void, but the node binding returns the trace file's path where it knows it.
      const path = (session.endProfiling as () => unknown)();
      return typeof path === "string" ? path : undefined;
    },
    release: () => session.release(),
  };
}
