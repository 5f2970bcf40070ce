/**
 * Kernel reshaping for reparameterization: centre-padding a small kernel and the identity kernel.
 *
 * @module
 */

/**
 * Zero-pads square kernels of size `from` to size `to`, placing them at the centre tap.
 *
 * @param weight Kernels laid out [out, in/groups, from, from].
 * @param from Current kernel size.
 * @param to Target kernel size; `to - from` must be even.
 * @returns Kernels laid out [out, in/groups, to, to].
 * @throws {RangeError} When the sizes cannot be centred or the weight length does not fit.
 * @example
 * ```ts
 * import { padKernel } from "./pad_kernel.ts";
 * const k = padKernel(new Float32Array([7]), 1, 3);
 * if (k.join() !== "0,0,0,0,7,0,0,0,0") throw new Error();
 * ```
 */
export function padKernel(weight: Float32Array, from: number, to: number): Float32Array {
  if (to < from || (to - from) % 2 !== 0) {
    throw new RangeError(
      `Cannot pad a ${from}x${from} kernel to ${to}x${to}: sizes must differ by an even amount`,
    );
  }
  if (weight.length % (from * from) !== 0) {
    throw new RangeError(
      `Cannot pad kernel as its ${weight.length} elements are not a multiple of ${from * from}`,
    );
  }
  const kernels = weight.length / (from * from);
  const off = (to - from) / 2;
  const out = new Float32Array(kernels * to * to);
  for (let n = 0; n < kernels; n++) {
    for (let y = 0; y < from; y++) {
      for (let x = 0; x < from; x++) {
        out[n * to * to + (y + off) * to + (x + off)] = weight[n * from * from + y * from + x];
      }
    }
  }
  return out;
}

/**
 * The kxk kernel of an identity map in a grouped conv: 1 at the centre tap of each output
 * channel's own input channel within its group, 0 elsewhere.
 *
 * @param channels Channels in and out (equal for an identity).
 * @param groups Conv groups; must divide `channels`.
 * @param k Kernel size, odd.
 * @returns Kernels laid out [channels, channels/groups, k, k].
 * @throws {RangeError} When groups does not divide channels or k is even.
 * @example
 * ```ts
 * import { identityKernel } from "./pad_kernel.ts";
 * // depthwise: each channel's single input is itself
 * if (identityKernel(2, 2, 1).join() !== "1,1") throw new Error();
 * ```
 */
export function identityKernel(channels: number, groups: number, k: number): Float32Array {
  if (channels % groups !== 0) {
    throw new RangeError(
      `Cannot build identity kernel as groups ${groups} does not divide ${channels} channels`,
    );
  }
  if (k % 2 !== 1) throw new RangeError(`Cannot build identity kernel of even size ${k}`);
  const perGroup = channels / groups;
  const out = new Float32Array(channels * perGroup * k * k);
  const centre = Math.floor(k / 2) * k + Math.floor(k / 2);
  for (let c = 0; c < channels; c++) {
    const within = c % perGroup; // the input channel of c inside its group
    out[(c * perGroup + within) * k * k + centre] = 1;
  }
  return out;
}
