/**
 * JSON read as Go's encoding/json reads it, for the flags whose value etcd passes to
 * json.Unmarshal (`--log-rotation-config-json`): the syntax check with the scanner's error texts
 * (`invalid character '}' looking for beginning of object key string`, `unexpected end of JSON
 * input`), and the value with each number's literal kept, so that a type error can quote it as Go
 * does (`cannot unmarshal number 1.5 into ...`). Pure.
 */

/** A parsed JSON value; numbers keep their literal text. */
export type GoJsonValue = null | boolean | string | { number: string } | GoJsonValue[] | GoJsonObject;
/** An object's members in document order (Go decodes them in that order). */
export interface GoJsonObject {
  members: Array<[string, GoJsonValue]>;
}

export class GoJsonSyntaxError extends Error {}

const EOF = 'unexpected end of JSON input';

/** Go's quoteChar: the offending byte as a Go character literal. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const s = JSON.stringify(c);
  return `'${s.slice(1, -1)}'`;
}

class Scanner {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): GoJsonValue {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('after top-level value');
    return v;
  }

  /** The character at the cursor; at the end Go's scanner is fed a space (its eof step). */
  private peek(): string {
    return this.i < this.s.length ? this.s[this.i]! : ' ';
  }

  private atEnd(): boolean {
    return this.i >= this.s.length;
  }

  private fail(context: string): never {
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(this.peek())} ${context}`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  private value(): GoJsonValue {
    this.ws();
    if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
    const c = this.s[this.i]!;
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    return this.fail('looking for beginning of value');
  }

  private object(): GoJsonObject {
    this.i++;
    const members: Array<[string, GoJsonValue]> = [];
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      return { members };
    }
    for (;;) {
      this.ws();
      if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
      if (this.s[this.i] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.ws();
      if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
      if (this.s[this.i] !== ':') this.fail('after object key');
      this.i++;
      members.push([key, this.value()]);
      this.ws();
      if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
      const c = this.s[this.i++];
      if (c === '}') return { members };
      if (c !== ',') {
        this.i--;
        this.fail('after object key:value pair');
      }
    }
  }

  private array(): GoJsonValue[] {
    this.i++;
    const items: GoJsonValue[] = [];
    this.ws();
    if (this.peek() === ']') {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
      const c = this.s[this.i++];
      if (c === ']') return items;
      if (c !== ',') {
        this.i--;
        this.fail('after array element');
      }
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    for (;;) {
      if (this.atEnd()) throw new GoJsonSyntaxError(EOF);
      const c = this.s[this.i]!;
      if (c === '"') break;
      if (c < ' ') this.fail('in string literal');
      if (c === '\\') {
        this.i++;
        const e = this.peek();
        if (e === 'u') {
          this.i++;
          for (let k = 0; k < 4; k++, this.i++) {
            if (!/[0-9a-fA-F]/.test(this.peek())) this.fail('in \\u hexadecimal character escape');
          }
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) this.fail('in string escape code');
      }
      this.i++;
    }
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private literal<T>(word: string, v: T): T {
    for (let k = 0; k < word.length; k++, this.i++) {
      if (this.peek() !== word[k]) this.fail(`in literal ${word} (expecting '${word[k]}')`);
    }
    return v;
  }

  private digits(): void {
    while (/[0-9]/.test(this.peek())) this.i++;
  }

  private number(): { number: string } {
    const start = this.i;
    if (this.peek() === '-') {
      this.i++;
      if (!/[0-9]/.test(this.peek())) this.fail('in numeric literal');
    }
    if (this.peek() === '0') this.i++;
    else this.digits();
    if (this.peek() === '.') {
      this.i++;
      if (!/[0-9]/.test(this.peek())) this.fail('after decimal point in numeric literal');
      this.digits();
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.i++;
      if (this.peek() === '+' || this.peek() === '-') this.i++;
      if (!/[0-9]/.test(this.peek())) this.fail('in exponent of numeric literal');
      this.digits();
    }
    return { number: this.s.slice(start, this.i) };
  }
}

/** Parses `text` as Go's json.Unmarshal would scan it; throws GoJsonSyntaxError with Go's text. */
export function parseGoJson(text: string): GoJsonValue {
  return new Scanner(text).parseTop();
}

/** The JSON kind Go names in an UnmarshalTypeError: string, number, bool, array, object. */
export function goJsonKind(v: Exclude<GoJsonValue, null>): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'number' in v ? 'number' : 'object';
}
