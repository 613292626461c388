/**
 * A binary trie of address prefixes (one per family), marked allow and/or deny: a lookup walks
 * at most 32 (IPv4) or 128 (IPv6) bits, however many ranges are configured, and allocates
 * nothing.
 */

import { bitAt, type ParsedAddress, type ParsedRange } from './addresses.js';

/** Marks on a node: a configured range ends there. */
export const ALLOW = 1;
export const DENY = 2;

/**
 * Nodes live in flat typed arrays: `children[2n]` / `children[2n + 1]` are node n's 0 and 1
 * children (0 = none: the root is never a child), `marks[n]` its ALLOW/DENY bits. Flat arrays
 * keep 10,000 ranges at a few hundred kilobytes and the walk cache-friendly.
 */
class FamilyTrie {
  private children: Int32Array = new Int32Array(2);
  private marks: Uint8Array = new Uint8Array(1);
  private size = 1;

  insert(range: ParsedRange, mark: number): void {
    let node = 0;
    for (let i = 0; i < range.prefix; i++) {
      const slot = 2 * node + bitAt(range.words, i);
      let child = this.children[slot]!;
      if (child === 0) {
        child = this.grow();
        this.children[slot] = child;
      }
      node = child;
    }
    this.marks[node]! |= mark;
  }

  /** The ALLOW/DENY marks of every configured range that contains `address`. */
  lookup(words: Uint32Array, bits: number): number {
    const { children, marks } = this;
    let node = 0;
    let found = marks[0]!;
    for (let i = 0; i < bits && (found & DENY) === 0; i++) {
      node = children[2 * node + ((words[i >>> 5]! >>> (31 - (i & 31))) & 1)]!;
      if (node === 0) break;
      found |= marks[node]!;
    }
    return found;
  }

  /** Shrinks the arrays to what is used (after the last insert). */
  seal(): void {
    this.children = this.children.slice(0, 2 * this.size);
    this.marks = this.marks.slice(0, this.size);
  }

  private grow(): number {
    if (this.size === this.marks.length) {
      const children = new Int32Array(this.children.length * 2);
      children.set(this.children);
      const marks = new Uint8Array(this.marks.length * 2);
      marks.set(this.marks);
      this.children = children;
      this.marks = marks;
    }
    return this.size++;
  }
}

/** Both families' tries. */
export class PrefixTrie {
  private readonly v4 = new FamilyTrie();
  private readonly v6 = new FamilyTrie();

  insert(range: ParsedRange, mark: number): void {
    (range.v6 ? this.v6 : this.v4).insert(range, mark);
  }

  seal(): void {
    this.v4.seal();
    this.v6.seal();
  }

  /** The ALLOW/DENY marks of the ranges containing `address`; DENY stops the walk early. */
  lookup(address: ParsedAddress): number {
    return address.v6 ? this.v6.lookup(address.words, 128) : this.v4.lookup(address.words, 32);
  }
}
