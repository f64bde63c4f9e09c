/**
 * HPACK's dynamic table (RFC 7541, section 2.3.2 and 4): newest entry first, an entry's size is
 * its name's and value's octets plus 32, and entries are evicted oldest first while the size is
 * over the maximum (an entry larger than the maximum empties the table and is not kept). Strings
 * are latin1 (one char per octet), so `length` is the octet count.
 */
export class DynamicTable {
  /** Entries oldest first from `first`; names and values side by side. */
  private names: string[] = [];
  private values: string[] = [];
  private first = 0;
  size = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.names.length - this.first;
  }

  /** The entry at dynamic index i (0 = newest); the caller checks i < length. */
  name(i: number): string {
    return this.names[this.names.length - 1 - i]!;
  }

  value(i: number): string {
    return this.values[this.values.length - 1 - i]!;
  }

  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
    this.size += name.length + value.length + 32;
    this.evict();
  }

  setMaxSize(n: number): void {
    this.maxSize = n;
    this.evict();
  }

  /** Dynamic index (0 = newest) of the newest entry equal to name/value, or -1; `nameAt` gets a same-name entry's. */
  find(name: string, value: string): { exact: number; nameAt: number } {
    let nameAt = -1;
    for (let k = this.names.length - 1; k >= this.first; k--) {
      if (this.names[k] !== name) continue;
      if (this.values[k] === value) return { exact: this.names.length - 1 - k, nameAt };
      if (nameAt < 0) nameAt = this.names.length - 1 - k;
    }
    return { exact: -1, nameAt };
  }

  private evict(): void {
    while (this.size > this.maxSize && this.first < this.names.length) {
      this.size -= this.names[this.first]!.length + this.values[this.first]!.length + 32;
      this.first++;
    }
    if (this.first > 64 && this.first * 2 > this.names.length) {
      this.names = this.names.slice(this.first);
      this.values = this.values.slice(this.first);
      this.first = 0;
    }
  }
}
