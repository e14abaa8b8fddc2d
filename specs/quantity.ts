// Kubernetes resource quantities: memory "64Mi", "1G", "128974848", "129e6"; cpu "0.5", "500m", 2.
import { InvalidArgumentError } from './errdefs.ts';

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
export const QUANTITY = /^([+]?[0-9]+(?:\.[0-9]*)?|[+]?\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)|[eE]([+-]?[0-9]+))?$/;

function parseQuantity(input: string | number, what: string, example: string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new InvalidArgumentError(`${what} ${input} must be a non-negative number (e.g. ${example})`);
    return input;
  }
  const m = QUANTITY.exec(input.trim());
  if (!m) throw new InvalidArgumentError(`${what} "${input}" is not a quantity (e.g. ${example})`);
  const base = Number(m[1]);
  if (m[3] !== undefined) return base * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  return base * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

/** Bytes, rounded up to a whole byte. */
export function parseMemory(input: string | number): number {
  const v = Math.ceil(parseQuantity(input, 'memory', '64Mi, 1Gi, 500M'));
  if (v < 4096 && v !== 0) throw new InvalidArgumentError(`memory ${JSON.stringify(input)} is below 4KiB; use a unit, e.g. 64Mi`);
  return v;
}

/** Bytes of storage (a claim's request), rounded up to a whole byte. */
export function parseStorage(input: string | number): number {
  return Math.ceil(parseQuantity(input, 'storage', '1Gi, 500Mi, 10G'));
}

/** CPUs as a fraction (0.5 = half a CPU); the smallest unit is 1m. */
export function parseCpu(input: string | number): number {
  const v = parseQuantity(input, 'cpu', '0.5, 500m, 2');
  if (v > 0 && v < 0.001) throw new InvalidArgumentError(`cpu ${JSON.stringify(input)} is below 1m, the smallest unit`);
  return Math.round(v * 1000) / 1000;
}
