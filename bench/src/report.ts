import { availableParallelism, cpus } from 'node:os';

/** One measured number, printed as `name: value unit` (plus a ratio when there is something to compare with). */
export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** Optional comparison: `value / baseline.value`, printed with the baseline's name. */
  baseline?: { name: string; value: number };
  /** The goal this figure is held to (e.g. issue 8's targets), printed after it. */
  target?: string;
}

/** The machine line every benchmark run starts with: numbers mean little without it. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `machine: ${availableParallelism()} cores (${cpu}), node ${process.version}, ${process.platform}/${process.arch}`;
}

export function formatMeasurement(measurement: Measurement): string {
  const value = measurement.value >= 100 ? measurement.value.toFixed(0) : measurement.value.toPrecision(4);
  const line = `  ${measurement.name}: ${value} ${measurement.unit}`;
  const target = measurement.target === undefined ? '' : `  [target ${measurement.target}]`;
  if (!measurement.baseline) return line + target;
  const ratio = measurement.value / measurement.baseline.value;
  return `${line}  (ratio ${ratio.toPrecision(3)}x vs ${measurement.baseline.name})${target}`;
}

/** Runs `fn` repeatedly for at least `minMs` and returns operations per second. */
export async function opsPerSecond(fn: () => unknown, options: { minMs?: number; batch?: number } = {}): Promise<number> {
  const minMs = options.minMs ?? 1000;
  const batch = options.batch ?? 100;
  for (let i = 0; i < batch; i++) await fn(); // warm-up
  let count = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < minMs) {
    for (let i = 0; i < batch; i++) await fn();
    count += batch;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (count * 1000) / elapsedMs;
}

/** Times one async call in milliseconds. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}
