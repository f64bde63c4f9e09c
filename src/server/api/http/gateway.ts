/**
 * etcd's gRPC-gateway on the client port (`POST /v3/...` with JSON), built as etcd builds it: a
 * gRPC client of this member's own client port, so every request takes the same path (checks,
 * interceptors, errors) as a gRPC one. Unary methods answer one JSON object; the streams (Watch,
 * LeaseKeepAlive, Election.Observe) read newline-delimited JSON requests from the body and answer
 * `{"result": ...}` lines; errors are `{"code", "message"}` with grpc-gateway's HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ChannelCredentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { TlsInfo } from '../../config/tls';
import { selfDialCredentials } from '../../tls/self-dial';
import type * as protobuf from 'protobufjs';
import { GatewayJsonError, messageFromJson, messageToJson } from '../../wire/gateway-json';
import { PROTO_FILES, protoRoot } from '../../wire/protos';
import { methodTypes } from '../../wire/strict-wire';

const ROUTES: [string, string, string][] = [
  ['/v3/kv/range', 'etcdserverpb.KV', 'Range'],
  ['/v3/kv/put', 'etcdserverpb.KV', 'Put'],
  ['/v3/kv/deleterange', 'etcdserverpb.KV', 'DeleteRange'],
  ['/v3/kv/txn', 'etcdserverpb.KV', 'Txn'],
  ['/v3/kv/compaction', 'etcdserverpb.KV', 'Compact'],
  ['/v3/watch', 'etcdserverpb.Watch', 'Watch'],
  ['/v3/lease/grant', 'etcdserverpb.Lease', 'LeaseGrant'],
  ['/v3/lease/revoke', 'etcdserverpb.Lease', 'LeaseRevoke'],
  ['/v3/kv/lease/revoke', 'etcdserverpb.Lease', 'LeaseRevoke'],
  ['/v3/lease/keepalive', 'etcdserverpb.Lease', 'LeaseKeepAlive'],
  ['/v3/lease/timetolive', 'etcdserverpb.Lease', 'LeaseTimeToLive'],
  ['/v3/kv/lease/timetolive', 'etcdserverpb.Lease', 'LeaseTimeToLive'],
  ['/v3/lease/leases', 'etcdserverpb.Lease', 'LeaseLeases'],
  ['/v3/kv/lease/leases', 'etcdserverpb.Lease', 'LeaseLeases'],
  ['/v3/cluster/member/add', 'etcdserverpb.Cluster', 'MemberAdd'],
  ['/v3/cluster/member/remove', 'etcdserverpb.Cluster', 'MemberRemove'],
  ['/v3/cluster/member/update', 'etcdserverpb.Cluster', 'MemberUpdate'],
  ['/v3/cluster/member/list', 'etcdserverpb.Cluster', 'MemberList'],
  ['/v3/cluster/member/promote', 'etcdserverpb.Cluster', 'MemberPromote'],
  ['/v3/maintenance/alarm', 'etcdserverpb.Maintenance', 'Alarm'],
  ['/v3/maintenance/status', 'etcdserverpb.Maintenance', 'Status'],
  ['/v3/maintenance/defragment', 'etcdserverpb.Maintenance', 'Defragment'],
  ['/v3/maintenance/hash', 'etcdserverpb.Maintenance', 'Hash'],
  ['/v3/maintenance/hashkv', 'etcdserverpb.Maintenance', 'HashKV'],
  ['/v3/maintenance/snapshot', 'etcdserverpb.Maintenance', 'Snapshot'],
  ['/v3/maintenance/transfer-leadership', 'etcdserverpb.Maintenance', 'MoveLeader'],
  ['/v3/maintenance/downgrade', 'etcdserverpb.Maintenance', 'Downgrade'],
  ['/v3/auth/enable', 'etcdserverpb.Auth', 'AuthEnable'],
  ['/v3/auth/disable', 'etcdserverpb.Auth', 'AuthDisable'],
  ['/v3/auth/status', 'etcdserverpb.Auth', 'AuthStatus'],
  ['/v3/auth/authenticate', 'etcdserverpb.Auth', 'Authenticate'],
  ['/v3/auth/user/add', 'etcdserverpb.Auth', 'UserAdd'],
  ['/v3/auth/user/get', 'etcdserverpb.Auth', 'UserGet'],
  ['/v3/auth/user/list', 'etcdserverpb.Auth', 'UserList'],
  ['/v3/auth/user/delete', 'etcdserverpb.Auth', 'UserDelete'],
  ['/v3/auth/user/changepw', 'etcdserverpb.Auth', 'UserChangePassword'],
  ['/v3/auth/user/grant', 'etcdserverpb.Auth', 'UserGrantRole'],
  ['/v3/auth/user/revoke', 'etcdserverpb.Auth', 'UserRevokeRole'],
  ['/v3/auth/role/add', 'etcdserverpb.Auth', 'RoleAdd'],
  ['/v3/auth/role/get', 'etcdserverpb.Auth', 'RoleGet'],
  ['/v3/auth/role/list', 'etcdserverpb.Auth', 'RoleList'],
  ['/v3/auth/role/delete', 'etcdserverpb.Auth', 'RoleDelete'],
  ['/v3/auth/role/grant', 'etcdserverpb.Auth', 'RoleGrantPermission'],
  ['/v3/auth/role/revoke', 'etcdserverpb.Auth', 'RoleRevokePermission'],
  ['/v3/lock/lock', 'v3lockpb.Lock', 'Lock'],
  ['/v3/lock/unlock', 'v3lockpb.Lock', 'Unlock'],
  ['/v3/election/campaign', 'v3electionpb.Election', 'Campaign'],
  ['/v3/election/proclaim', 'v3electionpb.Election', 'Proclaim'],
  ['/v3/election/leader', 'v3electionpb.Election', 'Leader'],
  ['/v3/election/observe', 'v3electionpb.Election', 'Observe'],
  ['/v3/election/resign', 'v3electionpb.Election', 'Resign'],
];

/** grpc-gateway's runtime.HTTPStatusFromCode. */
const HTTP_STATUS = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

interface Route {
  grpcPath: string;
  request: protobuf.Type;
  response: protobuf.Type;
  requestStream: boolean;
  responseStream: boolean;
}

const identity = (b: Buffer): Buffer => b;

export class Gateway {
  private readonly routes = new Map<string, Route>();
  private client: Client | undefined;

  /**
   * `tls`: the client URL is https; the gateway then dials it as etcd's does, over TLS without
   * verifying the server (it is this member) and presenting the member's own certificate.
   */
  constructor(
    private readonly target: () => string,
    private readonly tls?: TlsInfo,
  ) {
    for (const [path, service, method] of ROUTES) {
      const t = methodTypes(protoRoot(), PROTO_FILES, service, method);
      this.routes.set(path, { grpcPath: `/${service}/${method}`, ...t });
    }
  }

  /** Whether `path` is a gateway route (the HTTP handler hands it over). */
  handles(path: string): boolean {
    return path.startsWith('/v3/');
  }

  close(): void {
    this.client?.close();
  }

  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const route = this.routes.get(path);
    if (route === undefined) return void sendError(res, 5, 'Not Found');
    if (req.method !== 'POST') return void sendError(res, 12, 'Method Not Allowed');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (route.requestStream || route.responseStream) this.stream(req, res, route, body);
      else this.unary(req, res, route, body);
    });
  }

  private rpc(): Client {
    this.client ??= new Client(this.target(), this.credentials());
    return this.client;
  }

  private credentials(): ChannelCredentials {
    return selfDialCredentials(this.tls === undefined ? 'http:' : 'https:', this.tls);
  }

  private unary(req: IncomingMessage, res: ServerResponse, route: Route, body: string): void {
    let payload: Buffer;
    try {
      payload = encode(route.request, body.trim() === '' ? {} : parseJson(body));
    } catch (e) {
      return void sendError(res, 3, (e as Error).message);
    }
    this.rpc().makeUnaryRequest(route.grpcPath, identity, identity, payload, metadataOf(req), (err, value) => {
      if (err) return void sendError(res, err.code, err.details);
      sendJson(res, 200, messageToJson(route.response, route.response.decode(value!)));
    });
  }

  private stream(req: IncomingMessage, res: ServerResponse, route: Route, body: string): void {
    let requests: Buffer[];
    try {
      requests = body
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => encode(route.request, parseJson(l)));
    } catch (e) {
      return void sendError(res, 3, (e as Error).message);
    }
    const md = metadataOf(req);
    const call = route.requestStream
      ? this.rpc().makeBidiStreamRequest(route.grpcPath, identity, identity, md)
      : this.rpc().makeServerStreamRequest(route.grpcPath, identity, identity, requests[0] ?? encode(route.request, {}), md);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    call.on('data', (b: Buffer) => res.write(JSON.stringify({ result: messageToJson(route.response, route.response.decode(b)) }) + '\n'));
    call.on('error', (e: ServiceError) => {
      if (e.code !== 1) res.write(JSON.stringify({ error: { code: e.code, message: e.details } }) + '\n');
      res.end();
    });
    call.on('end', () => res.end());
    res.on('close', () => call.cancel());
    if (route.requestStream) {
      const duplex = call as ReturnType<Client['makeBidiStreamRequest']>;
      for (const r of requests) duplex.write(r);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GatewayJsonError((e as Error).message);
  }
}

function encode(type: protobuf.Type, json: unknown): Buffer {
  return Buffer.from(type.encode(messageFromJson(type, json)).finish());
}

/** The Authorization header goes on as the token etcd's auth reads. */
function metadataOf(req: IncomingMessage): Metadata {
  const md = new Metadata();
  const auth = req.headers['authorization'];
  if (typeof auth === 'string' && auth !== '') md.set('authorization', auth);
  return md;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, code: number, message: string, status = HTTP_STATUS[code] ?? 500): void {
  sendJson(res, status, { code, message });
}
