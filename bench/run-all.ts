/**
 * `npm run bench`: runs every benchmark and prints numbers and ratios. Never pass/fail.
 * `npm run bench -- federation` (or `client-server`, `e2ee`) runs one group.
 */
import { runClientServerBench } from './src/client-server.bench.js';
import { runE2eeBench } from './src/e2ee.bench.js';
import { runFederationBench } from './src/federation.bench.js';
import { machineLine } from './src/report.js';

const groups: Record<string, () => Promise<void>> = {
  federation: runFederationBench,
  'client-server': runClientServerBench,
  e2ee: runE2eeBench,
};
const selected = process.argv.slice(2).filter((name) => name in groups);
console.log(machineLine());
for (const name of selected.length > 0 ? selected : Object.keys(groups)) await (groups[name] as () => Promise<void>)();
process.exit(0);
