/**
 * The auth DAG (events linked by `auth_events`) as state resolution v2 walks it: auth chains, the auth
 * difference and the v2.1 conflicted state subgraph.
 * https://spec.matrix.org/v1.19/rooms/v2/#definitions
 *
 * Each event is fetched from the store once and its edges parsed once; every set below is then one graph
 * traversal that visits each event at most once. Auth chains are deliberately not materialised per event:
 * a room with n power-level changes would hold O(n²) ids, while a joint traversal stays linear.
 */
import { referencedEventIds, type Pdu } from '../events/pdu.js';
import type { StateResEvent, StateResStore } from './types.js';

/** One loaded event with its parsed auth edges. */
export interface AuthNode {
  readonly eventId: string;
  readonly pdu: Pdu;
  readonly rejected: boolean;
  /** Event IDs from `auth_events`, in either room-version format. */
  readonly authIds: readonly string[];
}

/** Events loaded from a {@link StateResStore}, with the traversals state resolution needs. */
export class AuthGraph {
  private readonly nodes = new Map<string, AuthNode>();
  /** IDs the store was asked for and did not return, so they are not asked for again. */
  private readonly missing = new Set<string>();

  constructor(private readonly store: StateResStore) {}

  /** The loaded event, or `undefined` if it is not loaded or the store does not have it. */
  get(eventId: string): AuthNode | undefined {
    return this.nodes.get(eventId);
  }

  /** Loads the given events (one store call for those not loaded yet). */
  async load(ids: Iterable<string>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.nodes.has(id) && !this.missing.has(id));
    if (wanted.length === 0) return;
    const found = await this.store.getEvents(wanted);
    for (const id of wanted) {
      const event = found.get(id);
      if (event) this.nodes.set(id, toNode(id, event));
      else this.missing.add(id);
    }
  }

  /** Loads `roots` and everything in their auth chains, one store call per layer of the DAG. */
  async loadClosure(roots: Iterable<string>): Promise<void> {
    const seen = new Set<string>();
    let layer = [...new Set(roots)];
    while (layer.length > 0) {
      for (const id of layer) seen.add(id);
      await this.load(layer);
      const next = new Set<string>();
      for (const id of layer) {
        for (const authId of this.nodes.get(id)?.authIds ?? []) if (!seen.has(authId)) next.add(authId);
      }
      layer = [...next];
    }
  }

  /**
   * The union of the auth chains of `roots` (events reachable through one or more `auth_events` edges).
   * A root is in the result only if another root's chain reaches it. Events the traversal must not
   * enter (`stopAt`) are neither included nor expanded. The closure must be loaded.
   */
  authChainUnion(roots: Iterable<string>, stopAt?: ReadonlySet<string>): Set<string> {
    const chain = new Set<string>();
    const stack: string[] = [];
    for (const root of roots) stack.push(...(this.nodes.get(root)?.authIds ?? []));
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (chain.has(id) || stopAt?.has(id)) continue;
      const node = this.nodes.get(id);
      if (!node) continue;
      chain.add(id);
      for (const authId of node.authIds) if (!chain.has(authId)) stack.push(authId);
    }
    return chain;
  }

  /**
   * The auth difference: ∪Cᵢ − ∩Cᵢ, where Cᵢ is the full auth chain of state set i.
   *
   * Each Cᵢ is the chain of the unconflicted events U plus the chain of set i's own conflicted events Kᵢ,
   * so ∪Cᵢ − ∩Cᵢ = ∪A(Kᵢ) − A(U) − ∩A(Kᵢ). `commonChain` is A(U); the walks from each Kᵢ stop at A(U),
   * because everything under an event of A(U) is itself in A(U), so only the closure of the Kᵢ is needed.
   */
  authDifference(commonChain: ReadonlySet<string>, conflictedPerSet: readonly Iterable<string>[]): Set<string> {
    const common = commonChain;
    const perSet = conflictedPerSet.map((ids) => this.authChainUnion(ids, common));
    const difference = new Set<string>();
    for (const chain of perSet) {
      for (const id of chain) {
        if (!perSet.every((other) => other.has(id))) difference.add(id);
      }
    }
    return difference;
  }

  /**
   * The v2.1 conflicted state subgraph: every event on an `auth_events` path from one conflicted event to
   * another (endpoints included), i.e. reachable from a conflicted event and reaching one.
   * https://spec.matrix.org/v1.19/rooms/v12/#definitions
   */
  conflictedSubgraph(conflicted: ReadonlySet<string>): Set<string> {
    const reachesConflicted = new Map<string, boolean>();
    for (const id of conflicted) this.markReachesConflicted(id, conflicted, reachesConflicted);
    const subgraph = new Set<string>();
    for (const [id, reaches] of reachesConflicted) if (reaches) subgraph.add(id);
    return subgraph;
  }

  /**
   * Depth-first, iterative (auth chains can be thousands deep), memoising for each event reachable from
   * `start` whether it is conflicted or reaches a conflicted event.
   */
  private markReachesConflicted(start: string, conflicted: ReadonlySet<string>, memo: Map<string, boolean>): void {
    if (memo.has(start)) return;
    const stack: { id: string; next: number; reaches: boolean }[] = [{ id: start, next: 0, reaches: false }];
    memo.set(start, false);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number; reaches: boolean };
      const authIds = this.nodes.get(frame.id)?.authIds ?? [];
      if (frame.next < authIds.length) {
        const child = authIds[frame.next++] as string;
        if (!this.nodes.has(child)) continue;
        const known = memo.get(child);
        if (known === undefined) {
          memo.set(child, false);
          stack.push({ id: child, next: 0, reaches: false });
        } else if (known) frame.reaches = true;
        continue;
      }
      stack.pop();
      const reaches = frame.reaches || conflicted.has(frame.id);
      memo.set(frame.id, reaches);
      const parent = stack[stack.length - 1];
      if (parent && reaches) parent.reaches = true;
    }
  }
}

function toNode(eventId: string, event: StateResEvent): AuthNode {
  return {
    eventId,
    pdu: event.pdu,
    rejected: event.rejected === true,
    authIds: Array.isArray(event.pdu.auth_events) ? referencedEventIds(event.pdu.auth_events) : [],
  };
}
