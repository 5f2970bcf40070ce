/**
 * The generated FastViT stem as a case source: the case's spec, seeded train-time weights (shared
 * by every resolution and batch size of a spec) and both forms built by `src/stem/`. Pure: no
 * file access, no onnxruntime.
 *
 * A stem's graphs depend on its spec only, but for the input and output shapes: each source
 * builds both forms once per spec (calibrating and fusing the weights once) and gives every
 * case of the spec the same nodes and initializers at its own batch size and resolution. The
 * counting source ({@linkcode stemCountSource}) builds them from weights that have shapes and no
 * values, since counts read nothing else.
 *
 * @module
 */
import type { Graph } from "../onnx/ir.ts";
import type { CaseConfig, StemCaseConfig } from "../scenario/expand.ts";
import {
  buildMultiBranchStem,
  type InputGeometry,
  reshapeStem,
  stemOutputShape,
} from "../stem/multi_branch.ts";
import { buildDeployStem, buildReparamStem, deployWeights } from "../stem/reparameterized.ts";
import { zeroDeployWeights, zeroStemWeights } from "../stem/shape_only.ts";
import type { StemSpec, StemWeights } from "../stem/spec.ts";
import { randomStemWeights } from "../stem/weights.ts";
import type { CaseGraphs, CaseSource } from "./source.ts";

/**
 * The stem spec of a case.
 *
 * @param config A stem case's configuration.
 * @returns Its spec (channels, width, branches, scale branch, SE, activation).
 */
export function caseSpec(config: StemCaseConfig): StemSpec {
  return {
    inChannels: config.inChannels,
    width: config.width,
    branches: config.branches,
    scaleBranch: config.scaleBranch,
    se: config.se,
    activation: config.activation,
  };
}

/** A key naming a case's spec: equal for every case of one spec, distinct across specs. */
function specKey(config: StemCaseConfig): string {
  const { inChannels, width, branches, scaleBranch, se, activation } = config;
  return `${inChannels} ${width} ${branches} ${scaleBranch} ${se} ${activation}`;
}

/**
 * A weights cache keyed by spec: every resolution of a spec shares its weights.
 *
 * @param seed Seed of the random weights.
 * @returns The weights of a stem case's spec, made on first use.
 */
export function weightsCache(seed: number): (config: StemCaseConfig) => StemWeights {
  const cache = new Map<string, StemWeights>();
  return (config) => {
    const key = specKey(config);
    let w = cache.get(key);
    if (!w) {
      w = randomStemWeights(caseSpec(config), seed);
      cache.set(key, w);
    }
    return w;
  };
}

/**
 * Both stem forms of a case (pure, synchronous), built afresh.
 *
 * @param config A stem case's configuration.
 * @param weights Train-time weights for the case's spec.
 * @returns Both graphs, every node tagged with its block and branch.
 */
export function stemGraphs(config: StemCaseConfig, weights: StemWeights): CaseGraphs {
  const spec = caseSpec(config);
  const geometry = { batchSize: config.batchSize, resolution: config.resolution };
  const multiBranch = buildMultiBranchStem(spec, weights, geometry);
  return {
    multiBranch,
    reparameterized: buildReparamStem(spec, weights, geometry),
    inputShape: multiBranch.inputs[0].shape,
    outputShape: stemOutputShape(spec, geometry),
  };
}

/** Both forms of one spec, as first built. */
interface SpecForms {
  readonly spec: StemSpec;
  readonly multiBranch: Graph;
  readonly reparameterized: Graph;
}

/** Builds both forms of a spec at a geometry. */
type FormsBuilder = (
  spec: StemSpec,
  geometry: InputGeometry,
) => { readonly multiBranch: Graph; readonly reparameterized: Graph };

/**
 * A source that builds both forms once per spec and re-shapes them per case.
 *
 * @param build Builds both forms of a spec (on a spec's first case; a throw is the case's error).
 * @param keep How many specs' forms to keep, the most recently used (all by default).
 * @returns The source; it rejects a model case.
 */
function perSpecSource(build: FormsBuilder, keep = Infinity): CaseSource {
  const cache = new Map<string, SpecForms>();
  const graphsOf = (config: StemCaseConfig): CaseGraphs => {
    const geometry = { batchSize: config.batchSize, resolution: config.resolution };
    const key = specKey(config);
    let forms = cache.get(key);
    if (!forms) {
      const spec = caseSpec(config);
      forms = { spec, ...build(spec, geometry) };
      if (cache.size >= keep) cache.delete(cache.keys().next().value!);
      cache.set(key, forms);
    } else if (keep !== Infinity) {
      cache.delete(key); // most recently used last
      cache.set(key, forms);
    }
    const multiBranch = reshapeStem(forms.multiBranch, forms.spec, geometry);
    // Both forms have the same input and output (names and shapes): one reshape gives both
    const { inputs, outputs } = multiBranch;
    return {
      multiBranch,
      reparameterized: { ...forms.reparameterized, inputs, outputs },
      inputShape: inputs[0].shape,
      outputShape: outputs[0].shape,
    };
  };
  return {
    build(config: CaseConfig): Promise<CaseGraphs> {
      if (config.model) {
        return Promise.reject(
          new TypeError(`Cannot build model "${config.model.name}" as a generated stem`),
        );
      }
      try {
        return Promise.resolve(graphsOf(config));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/**
 * The generated stem as a case source: seeded weights, calibrated and fused once per spec.
 *
 * @param seed Seed of the random weights (the scenario's `seed`).
 * @returns A source building stem cases; it rejects a model case.
 */
export function stemSource(seed: number): CaseSource {
  return perSpecSource((spec, geometry) => {
    const weights = randomStemWeights(spec, seed);
    return {
      multiBranch: buildMultiBranchStem(spec, weights, geometry),
      reparameterized: buildDeployStem(spec, deployWeights(spec, weights), geometry),
    };
  });
}

/** Options of {@linkcode stemCountSource}. */
export interface StemCountSourceOptions {
  /**
   * How many specs' graphs to keep, the most recently used: fewer hold less memory when the
   * cases come grouped by spec (as `countScenario` gives them), more rebuild less when they do
   * not. @default Infinity
   */
  readonly keep?: number;
}

/**
 * The generated stem as a source for counting only: graphs whose initializers have the right
 * dims and hold zeros (no calibration, no fusion), which count exactly as {@linkcode stemSource}'s
 * but compute nothing meaningful. What `deno task count` uses.
 *
 * @param options How many specs' graphs to keep.
 * @returns A source building stem cases; it rejects a model case.
 * @example
 * ```ts
 * import { stemCountSource } from "./stem.ts";
 * const graphs = await stemCountSource().build({
 *   inChannels: 3, width: 8, resolution: 32, batchSize: 2, branches: 1, activation: "relu",
 *   scaleBranch: true, se: false, device: "cpu", threads: 1, optimizationLevel: "all",
 * });
 * if (graphs.outputShape.join() !== "2,8,8,8") throw new Error();
 * ```
 */
export function stemCountSource(options: StemCountSourceOptions = {}): CaseSource {
  const keep = options.keep ?? Infinity;
  if (!(keep >= 1)) {
    throw new RangeError(
      `Cannot make a stem source as 'keep' must be >= 1: current value is ${keep}`,
    );
  }
  return perSpecSource((spec, geometry) => ({
    multiBranch: buildMultiBranchStem(spec, zeroStemWeights(spec), geometry),
    reparameterized: buildDeployStem(spec, zeroDeployWeights(spec), geometry),
  }), keep);
}
