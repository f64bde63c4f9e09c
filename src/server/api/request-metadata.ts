/**
 * Request metadata as the handlers read it: only `get`, so that a unary call passes a view that
 * builds grpc-js's Metadata (a Map, arrays and strings for every header) only when a handler
 * asks for a key, which most requests never do (the token when auth is on, hasleader). Streams
 * and the gateway pass grpc-js's Metadata itself.
 */
import type { Metadata, MetadataValue } from '@grpc/grpc-js';

export interface RequestMetadata {
  get(key: string): MetadataValue[];
}

/** The metadata of `call`, read from it on the first `get`. */
export class LazyMetadata implements RequestMetadata {
  constructor(private readonly call: { readonly metadata: Metadata }) {}

  get(key: string): MetadataValue[] {
    return this.call.metadata.get(key);
  }
}
