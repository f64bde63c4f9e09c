/** A reader of LevelDB's varints and length-prefixed slices (log, MANIFEST and table checks). */
import { Reader } from '../../../encoding/varint';

/** Reads varints and length-prefixed slices from buf[pos, end); throws past the end. */
export class ByteReader extends Reader {
  get done(): boolean {
    return this.pos >= this.end;
  }

  skipSlice(): void {
    this.delimited();
  }
}
