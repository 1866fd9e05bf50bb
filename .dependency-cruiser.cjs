/**
 * Import rules from shared/DESIGN.md, enforced in CI (`npm run depcruise`).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'federation-is-self-contained',
      severity: 'error',
      comment: 'federation/ imports nothing of ours (homeserver, test, bench).',
      from: { path: '^federation/' },
      to: { path: '^(homeserver|test|bench|client-web|bridges)/' },
    },
    {
      name: 'federation-no-server-drivers',
      severity: 'error',
      comment: 'federation/ is pure protocol: no express, knex, ioredis, pg, sqlite, pino.',
      from: { path: '^federation/' },
      to: { path: 'node_modules/(express|knex|ioredis|pg|better-sqlite3|pino|ws)/' },
    },
    {
      name: 'federation-io-only-in-net',
      severity: 'error',
      comment: 'federation/ does I/O only in net/ (no fs, net, http, dns, child_process elsewhere).',
      from: { path: '^federation/src/(?!net/)' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|dns|child_process|dgram|tls)$' },
    },
    {
      name: 'federation-through-its-package',
      severity: 'error',
      comment: 'Others use @parley/federation (its index, or /testing in tests), never its inner files.',
      from: { path: '^(homeserver|test|bench)/' },
      to: { path: '^federation/src/', pathNot: '^federation/src/(index|testing)\\.ts$' },
    },
    {
      name: 'http-not-to-storage',
      severity: 'error',
      comment: 'http/ and ws/ call services and config, never storage/, pubsub/ or adapters/.',
      from: { path: '^homeserver/src/(http|ws)/' },
      to: { path: '^homeserver/src/(storage|pubsub|adapters)/' },
    },
    {
      name: 'services-not-to-http',
      severity: 'error',
      comment: 'services/ never import http/ or ws/.',
      from: { path: '^homeserver/src/services/' },
      to: { path: '^homeserver/src/(http|ws)/' },
    },
    {
      name: 'services-only-storage-interfaces',
      severity: 'error',
      comment: 'services/ import storage/index.ts, pubsub/index.ts and adapters/*/index.ts only, never a driver.',
      from: { path: '^homeserver/src/services/', pathNot: '\\.test\\.ts$' },
      to: {
        path: '^homeserver/src/(storage|pubsub|adapters)/',
        pathNot: '^homeserver/src/(storage/index\\.ts|pubsub/index\\.ts|adapters/[^/]+/index\\.ts)$',
      },
    },
    {
      name: 'services-no-drivers',
      severity: 'error',
      comment: 'services/ never import a database or redis driver directly.',
      from: { path: '^homeserver/src/services/', pathNot: '\\.test\\.ts$' },
      to: { path: 'node_modules/(knex|pg|better-sqlite3|ioredis|express)/' },
    },
    {
      name: 'domains-through-their-door',
      severity: 'error',
      comment: 'A domain reaches another only through services/<x>/index.ts.',
      from: { path: '^homeserver/src/services/([^/]+)/' },
      to: {
        path: '^homeserver/src/services/([^/]+)/',
        pathNot: ['^homeserver/src/services/$1/', '^homeserver/src/services/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'drivers-only-in-composition-root',
      severity: 'error',
      comment: 'Only main.ts (and tests) construct concrete storage, pubsub and adapters.',
      from: { path: '^homeserver/src/', pathNot: ['^homeserver/src/(main|cli)\\.ts$', '^homeserver/src/(storage|pubsub|adapters)/', '\\.test\\.ts$'] },
      to: { path: '^homeserver/src/(storage/knex|pubsub/(redis|memory)|adapters/[^/]+/(?!index)[^/]+)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: 'node_modules' },
  },
};
