/**
 * grpc-gateway's JSON mapping as etcd 3.6 configures it (protojson with proto field names, no
 * unpopulated fields, unknown fields discarded): 64-bit integers as decimal strings, bytes as
 * base64, enums by name; zero values, empty lists and enum zeros left out. Requests accept proto
 * or lowerCamelCase names, and numbers or strings for 64-bit fields.
 */
import * as protobuf from 'protobufjs';

export class GatewayJsonError extends Error {}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A JSON request object -> a message of `type`, field names normalised first. */
export function messageFromJson(type: protobuf.Type, json: unknown): protobuf.Message {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new GatewayJsonError('request body must be a JSON object');
  try {
    return type.fromObject(normalise(type, json as Record<string, unknown>));
  } catch (e) {
    throw new GatewayJsonError((e as Error).message);
  }
}

function normalise(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const field = type.fields[k] ?? type.fields[snake(k)];
    if (field === undefined) continue; // DiscardUnknown
    field.resolve();
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type && v !== null && typeof v === 'object') {
      out[field.name] = Array.isArray(v)
        ? v.map((x) => (x !== null && typeof x === 'object' ? normalise(rt, x as Record<string, unknown>) : x))
        : normalise(rt, v as Record<string, unknown>);
    } else out[field.name] = v;
  }
  return out;
}

/** A response message -> protojson's object (EmitUnpopulated false, proto names). */
export function messageToJson(type: protobuf.Type, msg: protobuf.Message): Record<string, unknown> {
  const o = type.toObject(msg, { longs: String, enums: String, bytes: String, defaults: false, arrays: false });
  return prune(type, o);
}

function prune(type: protobuf.Type, o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const field = type.fields[k];
    if (field === undefined || v === undefined || v === null) continue;
    const rt = field.resolvedType;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      out[k] = rt instanceof protobuf.Type ? v.map((x) => prune(rt, x as Record<string, unknown>)) : v;
      continue;
    }
    if (rt instanceof protobuf.Type) {
      out[k] = prune(rt, v as Record<string, unknown>);
      continue;
    }
    if (field.partOf !== null) {
      out[k] = v; // a oneof member is present even at its zero value
      continue;
    }
    if (rt instanceof protobuf.Enum && rt.values[v as string] === 0) continue;
    if (v === 0 || v === '0' || v === '' || v === false) continue;
    out[k] = v;
  }
  return out;
}
