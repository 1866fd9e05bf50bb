import { describe, expect, it } from 'vitest';
import type { Pdu } from '../events/pdu.js';
import { AuthGraph } from './auth-chain.js';
import { MemoryStateResStore } from './fixtures.js';

/** A graph of bare events: `edges[id]` lists its auth events. */
function graphOf(edges: Record<string, string[]>): { graph: AuthGraph; store: MemoryStateResStore } {
  const store = new MemoryStateResStore();
  for (const [id, authIds] of Object.entries(edges)) {
    const pdu: Pdu = {
      sender: '@a:x',
      type: 'm.room.member',
      state_key: id,
      content: {},
      origin_server_ts: 0,
      depth: 0,
      prev_events: [],
      auth_events: authIds,
      hashes: { sha256: '' },
      signatures: {},
    };
    store.add({ eventId: id, pdu });
  }
  return { graph: new AuthGraph(store), store };
}

describe('AuthGraph', () => {
  // create ← pl1 ← pl2 ← pl3; a cites pl1, b cites pl3, c cites pl2
  const edges = {
    create: [],
    pl1: ['create'],
    pl2: ['create', 'pl1'],
    pl3: ['create', 'pl2'],
    a: ['create', 'pl1'],
    b: ['create', 'pl3'],
    c: ['create', 'pl2'],
  };

  it('loads the auth closure one layer per store call, each event once', async () => {
    const { graph, store } = graphOf(edges);
    await graph.loadClosure(['b', 'a']);
    expect(store.fetched).toBe(6); // b a pl3 pl1 pl2 create (not c)
    expect(store.calls).toBe(3); // {a, b}, {create, pl1, pl3}, {pl2}
    expect(graph.get('c')).toBeUndefined();
    await graph.loadClosure(['b', 'a']);
    expect(store.fetched).toBe(6);
    expect(store.calls).toBe(3);
  });

  it('auth chains exclude the roots themselves unless another root reaches them', async () => {
    const { graph } = graphOf(edges);
    await graph.loadClosure(['b', 'pl2']);
    expect([...graph.authChainUnion(['b'])].sort()).toEqual(['create', 'pl1', 'pl2', 'pl3']);
    expect([...graph.authChainUnion(['pl2'])].sort()).toEqual(['create', 'pl1']);
    expect(graph.authChainUnion(['b', 'pl2']).has('pl2')).toBe(true);
  });

  it('computes the auth difference as union minus intersection of the full chains', async () => {
    const { graph } = graphOf(edges);
    await graph.loadClosure(Object.keys(edges));
    // Set 1 holds a (chain create, pl1); set 2 holds b (chain create, pl1, pl2, pl3). Unconflicted: none.
    expect([...graph.authDifference(new Set(), [['a'], ['b']])].sort()).toEqual(['pl2', 'pl3']);
    // With c unconflicted, pl1 and pl2 are in every chain.
    expect([...graph.authDifference(graph.authChainUnion(['c']), [['a'], ['b']])].sort()).toEqual(['pl3']);
    // Identical sets: empty difference.
    expect(graph.authDifference(new Set(), [['b'], ['b']]).size).toBe(0);
  });

  it('finds the conflicted state subgraph: events on paths between conflicted events', async () => {
    const { graph } = graphOf(edges);
    await graph.loadClosure(Object.keys(edges));
    // pl3 → pl2 → pl1 is a path between conflicted pl3 and pl1; create is below both, not between.
    expect([...graph.conflictedSubgraph(new Set(['pl3', 'pl1']))].sort()).toEqual(['pl1', 'pl2', 'pl3']);
    // b → pl3 → pl2 reaches c? No: c is not below b. Only the endpoints b and c themselves.
    expect([...graph.conflictedSubgraph(new Set(['b', 'c']))].sort()).toEqual(['b', 'c']);
    expect([...graph.conflictedSubgraph(new Set(['b', 'pl1']))].sort()).toEqual(['b', 'pl1', 'pl2', 'pl3']);
  });

  it('survives auth chains deeper than the call stack', async () => {
    const deep: Record<string, string[]> = { e0: [] };
    for (let i = 1; i < 50_000; i++) deep[`e${i}`] = [`e${i - 1}`];
    const { graph } = graphOf(deep);
    await graph.loadClosure(['e49999']);
    expect(graph.conflictedSubgraph(new Set(['e49999', 'e0'])).size).toBe(50_000);
    expect(graph.authChainUnion(['e49999']).size).toBe(49_999);
  });

  it('treats auth events the store lacks as absent', async () => {
    const { graph } = graphOf({ x: ['missing', 'y'], y: [] });
    await graph.loadClosure(['x']);
    expect([...graph.authChainUnion(['x'])]).toEqual(['y']);
  });
});
