/** API key records in memory, indexed by id and by hash, per namespace. */

import type { KeyRecord } from '../types.js';

interface Namespace {
  readonly byId: Map<string, KeyRecord>;
  readonly byHash: Map<string, KeyRecord>;
}

/** Records are frozen copies, so no caller can change a stored key behind the store's back. */
export class MemoryKeys {
  private readonly namespaces = new Map<string, Namespace>();

  private space(namespace: string): Namespace {
    let space = this.namespaces.get(namespace);
    if (space === undefined) {
      space = { byId: new Map(), byHash: new Map() };
      this.namespaces.set(namespace, space);
    }
    return space;
  }

  byHash(namespace: string, hash: string): KeyRecord | undefined {
    return this.namespaces.get(namespace)?.byHash.get(hash);
  }

  byId(namespace: string, id: string): KeyRecord | undefined {
    return this.namespaces.get(namespace)?.byId.get(id);
  }

  put(namespace: string, record: KeyRecord): void {
    const space = this.space(namespace);
    const previous = space.byId.get(record.id);
    if (previous !== undefined) space.byHash.delete(previous.hash);
    const copy = Object.freeze({ ...record });
    space.byId.set(copy.id, copy);
    space.byHash.set(copy.hash, copy);
  }

  /** Stores `record` unless its id or its hash is taken; true when stored. */
  add(namespace: string, record: KeyRecord): boolean {
    const space = this.space(namespace);
    if (space.byId.has(record.id) || space.byHash.has(record.hash)) return false;
    this.put(namespace, record);
    return true;
  }

  delete(namespace: string, id: string): boolean {
    const space = this.namespaces.get(namespace);
    const record = space?.byId.get(id);
    if (space === undefined || record === undefined) return false;
    space.byId.delete(id);
    space.byHash.delete(record.hash);
    return true;
  }

  list(namespace: string): KeyRecord[] {
    return [...(this.namespaces.get(namespace)?.byId.values() ?? [])];
  }
}
