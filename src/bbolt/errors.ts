/**
 * The one error type of src/bbolt. `code` says what went wrong, so callers can branch on it
 * without matching message text:
 *   - NotBolt:   no valid meta page (wrong magic, or too short to hold one): not a bolt file;
 *   - Version:   a bolt file of another format version (bbolt writes version 2);
 *   - Checksum:  both meta pages fail their FNV-64a checksum;
 *   - Truncated: the file ends before a page the meta pages or the tree refer to;
 *   - Corrupt:   a page or element that cannot be what bbolt writes (bad flags, ids, bounds, order);
 *   - Invalid:   writeBolt was given a tree bbolt could not hold (empty or duplicate keys, ...).
 */
export type BoltErrorCode = 'NotBolt' | 'Version' | 'Checksum' | 'Truncated' | 'Corrupt' | 'Invalid';

export class BoltError extends Error {
  override readonly name = 'BoltError';

  constructor(
    readonly code: BoltErrorCode,
    message: string,
  ) {
    super(`bbolt: ${message}`);
  }
}
