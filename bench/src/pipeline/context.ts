/** What every part of the pipeline benchmark shares: the server, the sizes, the floor and the printer. */
import type { RemoteServer } from '../remote-server.js';
import { formatMeasurement, type Measurement } from '../report.js';
import type { Sizes } from './options.js';

/** The same run's trivial-request floor: GET /_matrix/client/versions round trips, one at a time. */
export interface Floor {
  /** Round trips per second. */
  rate: number;
  p50Ms: number;
  /** Server CPU per trivial request. */
  cpuMs: number;
}

export interface PartContext {
  server: RemoteServer;
  sizes: Sizes;
  floor: Floor;
  print(measurement: Measurement): void;
}

export function printer(dialect: string): (measurement: Measurement) => void {
  return (measurement) => console.log(formatMeasurement({ ...measurement, name: `[${dialect}] ${measurement.name}` }));
}

/** Baselines for ratios. */
export const vsTrivialRate = (floor: Floor) => ({ name: 'trivial request rate', value: floor.rate });
export const vsTrivialP50 = (floor: Floor) => ({ name: 'trivial round trip p50', value: floor.p50Ms });
export const vsTrivialCpu = (floor: Floor) => ({ name: 'server CPU of a trivial request', value: floor.cpuMs });
