/**
 * `npm run bench`: runs every benchmark and prints numbers and ratios. Never pass/fail.
 * `npm run bench -- federation` (or `client-server`, `e2ee`) runs one group.
 * Options of the client-server group (see bench/src/pipeline/options.ts): `--only=send,latency,members,rss,initial`
 * (alone, it selects the client-server group), `--quick`, `--db=sqlite|postgres`.
 */
import { runClientServerBench } from './src/client-server.bench.js';
import { runE2eeBench } from './src/e2ee.bench.js';
import { runFederationBench } from './src/federation.bench.js';
import { machineLine } from './src/report.js';

const groups: Record<string, () => Promise<void>> = {
  federation: runFederationBench,
  'client-server': () => runClientServerBench(process.argv.slice(2)),
  e2ee: runE2eeBench,
};
const args = process.argv.slice(2);
const named = args.filter((name) => name in groups);
const selected = named.length > 0 ? named : args.some((arg) => arg.startsWith('--only=')) ? ['client-server'] : Object.keys(groups);
console.log(machineLine());
for (const name of selected) await (groups[name] as () => Promise<void>)();
process.exit(0);
