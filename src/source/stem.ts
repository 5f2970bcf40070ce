/**
 * The generated FastViT stem as a case source: the case's spec, seeded train-time weights (shared
 * by every resolution and batch size of a spec) and both forms built by `src/stem/`. Pure: no
 * file access, no onnxruntime.
 *
 * @module
 */
import type { CaseConfig, StemCaseConfig } from "../scenario/expand.ts";
import { buildMultiBranchStem, stemOutputShape } from "../stem/multi_branch.ts";
import { buildReparamStem } from "../stem/reparameterized.ts";
import type { StemSpec } from "../stem/spec.ts";
import { randomStemWeights, type StemWeights } from "../stem/weights.ts";
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

/**
 * A weights cache keyed by spec: every resolution of a spec shares its weights.
 *
 * @param seed Seed of the random weights.
 * @returns The weights of a stem case's spec, made on first use.
 */
export function weightsCache(seed: number): (config: StemCaseConfig) => StemWeights {
  const cache = new Map<string, StemWeights>();
  return (config) => {
    const spec = caseSpec(config);
    const key = JSON.stringify(spec);
    let w = cache.get(key);
    if (!w) {
      w = randomStemWeights(spec, seed);
      cache.set(key, w);
    }
    return w;
  };
}

/**
 * Both stem forms of a case (pure, synchronous).
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

/**
 * The generated stem as a case source.
 *
 * @param seed Seed of the random weights (the scenario's `seed`).
 * @returns A source building stem cases; it rejects a model case.
 */
export function stemSource(seed: number): CaseSource {
  const weightsFor = weightsCache(seed);
  return {
    build(config: CaseConfig): Promise<CaseGraphs> {
      if (config.model) {
        return Promise.reject(
          new TypeError(`Cannot build model "${config.model.name}" as a generated stem`),
        );
      }
      try {
        return Promise.resolve(stemGraphs(config, weightsFor(config)));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}
