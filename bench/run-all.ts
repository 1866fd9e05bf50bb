/**
 * `npm run bench`: runs every benchmark and prints numbers and ratios. Never pass/fail.
 */
import { runFederationBench } from './src/federation.bench.js';
import { machineLine } from './src/report.js';

console.log(machineLine());
await runFederationBench();
