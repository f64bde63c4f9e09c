// Checks the etcd-ts .proto files: they load with @grpc/proto-loader, expose the
// exact gRPC method paths etcd clients call, and encode to the bytes the
// protobuf wire format prescribes (hand-computed below).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

const protoDir = path.resolve(__dirname, '../../../proto');

const FILES = [
  'etcd/api/mvccpb/kv.proto',
  'etcd/api/authpb/auth.proto',
  'etcd/api/etcdserverpb/rpc.proto',
  'etcd/server/etcdserver/api/v3lock/v3lockpb/v3lock.proto',
  'etcd/server/etcdserver/api/v3election/v3electionpb/v3election.proto',
  'raftpb/raft.proto',
  'grpc/health/v1/health.proto',
];

const LOADER_OPTS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
};

const pkg = protoLoader.loadSync(FILES, LOADER_OPTS);

// Same conversion options as the loader, for messages that no RPC carries (raftpb).
const CONV: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => path.join(protoDir, target);
  root.loadSync(FILES, { keepCase: true });
  root.resolveAll();
  return root;
}
const root = loadRoot();

function service(name: string): protoLoader.ServiceDefinition {
  const def = pkg[name];
  assert.ok(def, `service ${name} missing`);
  return def as protoLoader.ServiceDefinition;
}

function method(svc: string, m: string): protoLoader.MethodDefinition<object, object> {
  const def = service(svc)[m];
  assert.ok(def, `method ${svc}.${m} missing`);
  return def as protoLoader.MethodDefinition<object, object>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Full method lists, in etcd's declaration order. [name, requestStream, responseStream]
type M = [string, boolean, boolean];
const u = (n: string): M => [n, false, false];
const EXPECTED: Record<string, M[]> = {
  'etcdserverpb.KV': ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact'].map(u),
  'etcdserverpb.Watch': [['Watch', true, true]],
  'etcdserverpb.Lease': [u('LeaseGrant'), u('LeaseRevoke'), ['LeaseKeepAlive', true, true], u('LeaseTimeToLive'), u('LeaseLeases')],
  'etcdserverpb.Cluster': ['MemberAdd', 'MemberRemove', 'MemberUpdate', 'MemberList', 'MemberPromote'].map(u),
  'etcdserverpb.Maintenance': [
    u('Alarm'),
    u('Status'),
    u('Defragment'),
    u('Hash'),
    u('HashKV'),
    ['Snapshot', false, true],
    u('MoveLeader'),
    u('Downgrade'),
  ],
  'etcdserverpb.Auth': [
    'AuthEnable',
    'AuthDisable',
    'AuthStatus',
    'Authenticate',
    'UserAdd',
    'UserGet',
    'UserList',
    'UserDelete',
    'UserChangePassword',
    'UserGrantRole',
    'UserRevokeRole',
    'RoleAdd',
    'RoleGet',
    'RoleList',
    'RoleDelete',
    'RoleGrantPermission',
    'RoleRevokePermission',
  ].map(u),
  'v3lockpb.Lock': ['Lock', 'Unlock'].map(u),
  'v3electionpb.Election': [u('Campaign'), u('Proclaim'), u('Leader'), ['Observe', false, true], u('Resign')],
  'grpc.health.v1.Health': [u('Check'), u('List'), ['Watch', false, true]],
};

test('all services exist with exact method paths and streaming flags', () => {
  let n = 0;
  for (const [svc, methods] of Object.entries(EXPECTED)) {
    const def = service(svc);
    assert.deepEqual(Object.keys(def).sort(), methods.map((m) => m[0]).sort(), `methods of ${svc}`);
    for (const [name, reqStream, resStream] of methods) {
      const md = method(svc, name);
      assert.equal(md.path, `/${svc}/${name}`);
      assert.equal(md.requestStream, reqStream, `${svc}.${name} requestStream`);
      assert.equal(md.responseStream, resStream, `${svc}.${name} responseStream`);
      n++;
    }
  }
  assert.equal(n, 48 + 3); // 48 etcd methods + Health Check/List/Watch
  // Spot checks from the brief.
  assert.equal(method('etcdserverpb.KV', 'Range').path, '/etcdserverpb.KV/Range');
  assert.equal(method('v3lockpb.Lock', 'Lock').path, '/v3lockpb.Lock/Lock');
  assert.equal(method('v3electionpb.Election', 'Observe').path, '/v3electionpb.Election/Observe');
});

test('request/response types of a few methods', () => {
  const typeName = (d: protoLoader.MessageTypeDefinition): string => (d.type as { name: string }).name;
  assert.equal(typeName(method('etcdserverpb.KV', 'Compact').requestType), 'CompactionRequest');
  assert.equal(typeName(method('etcdserverpb.Auth', 'UserAdd').requestType), 'AuthUserAddRequest');
  assert.equal(typeName(method('v3electionpb.Election', 'Observe').requestType), 'LeaderRequest');
  assert.equal(typeName(method('v3electionpb.Election', 'Observe').responseType), 'LeaderResponse');
});

test('PutRequest with a 64-bit lease: exact bytes and round-trip', () => {
  const put = method('etcdserverpb.KV', 'Put');
  const bytes = put.requestSerialize({ key: Buffer.from('foo'), value: Buffer.from('bar'), lease: '7587873416231004676' });
  // key   = field 1, wire type 2 -> tag (1<<3)|2 = 0x0a, len 3, "foo"
  // value = field 2, wire type 2 -> tag 0x12, len 3, "bar"
  // lease = field 3, wire type 0 -> tag 0x18, varint(7587873416231004676):
  //   0x694d8aab77142a04; 7-bit groups from the low end:
  //   04 54 50 38 37 55 62 26 69 -> set the continuation bit on all but the last:
  //   84 d4 d0 b8 b7 d5 e2 a6 69
  assert.equal(hex(bytes), '0a03666f6f' + '1203626172' + '18' + '84d4d0b8b7d5e2a669');
  const back = put.requestDeserialize(bytes) as Record<string, unknown>;
  assert.equal(back.lease, '7587873416231004676');
  assert.deepEqual(back.key, Buffer.from('foo'));
  assert.deepEqual(back.value, Buffer.from('bar'));
  assert.equal(back.prev_kv, false); // defaults: true
  assert.equal(back.ignore_lease, false);
});

test("negative int64 is a 10-byte varint (two's complement)", () => {
  const grant = method('etcdserverpb.Lease', 'LeaseTimeToLive');
  const bytes = grant.responseSerialize({ TTL: '-1' });
  // field 3 varint -> tag 0x18; -1 as uint64 = 2^64-1 -> nine 0xff then 0x01
  assert.equal(hex(bytes), '18' + 'ff'.repeat(9) + '01');
  assert.equal((grant.responseDeserialize(bytes) as Record<string, unknown>).TTL, '-1');
});

test('WatchRequest oneof and packed repeated enum', () => {
  const w = method('etcdserverpb.Watch', 'Watch');
  const create = w.requestSerialize({
    create_request: { key: Buffer.from('a'), range_end: Buffer.from('b'), filters: ['NOPUT', 'NODELETE'] },
  });
  // inner WatchCreateRequest: 0a 01 61 | 12 01 62 | filters field 5 packed (proto3 default):
  //   tag (5<<3)|2 = 0x2a, len 2, 00 01
  // outer: create_request field 1 -> 0a, len 10
  assert.equal(hex(create), '0a0a' + '0a0161' + '120162' + '2a020001');
  const back = w.requestDeserialize(create) as Record<string, unknown>;
  assert.equal(back.request_union, 'create_request');
  const cr = back.create_request as Record<string, unknown>;
  assert.deepEqual(cr.filters, ['NOPUT', 'NODELETE']);
  assert.deepEqual(cr.key, Buffer.from('a'));
  assert.equal(cr.start_revision, '0');
  assert.equal(back.cancel_request, undefined);

  const cancel = w.requestDeserialize(w.requestSerialize({ cancel_request: { watch_id: '7' } })) as Record<string, unknown>;
  assert.equal(cancel.request_union, 'cancel_request');
  assert.equal((cancel.cancel_request as Record<string, unknown>).watch_id, '7');

  // progress_request is an empty message: only tag + zero length.
  const progress = w.requestSerialize({ progress_request: {} });
  assert.equal(hex(progress), '1a00');
  assert.equal((w.requestDeserialize(progress) as Record<string, unknown>).request_union, 'progress_request');
});

test('WatchResponse events use field 11', () => {
  const w = method('etcdserverpb.Watch', 'Watch');
  const bytes = w.responseSerialize({ events: [{ type: 'DELETE' }] });
  // field 11, wire type 2 -> tag (11<<3)|2 = 0x5a, len 2, Event.type field 1 = 1 -> 08 01
  assert.equal(hex(bytes), '5a020801');
  const back = w.responseDeserialize(bytes) as { events: Array<Record<string, unknown>>; header: unknown };
  assert.equal(back.events[0]?.type, 'DELETE');
  assert.equal(back.header, null); // absent message field: present but null with defaults
});

test('TxnRequest nested oneofs and Compare.range_end = 64', () => {
  const txn = method('etcdserverpb.KV', 'Txn');
  const req = {
    compare: [{ result: 'EQUAL', target: 'MOD', key: Buffer.from('k'), mod_revision: '0', range_end: Buffer.from('z') }],
    success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v') } }],
    failure: [{ request_range: { key: Buffer.from('k') } }],
  };
  const bytes = txn.requestSerialize(req);
  const back = txn.requestDeserialize(bytes) as {
    compare: Array<Record<string, unknown>>;
    success: Array<Record<string, unknown>>;
    failure: Array<Record<string, unknown>>;
  };
  assert.equal(back.compare[0]?.target_union, 'mod_revision');
  assert.equal(back.compare[0]?.mod_revision, '0');
  assert.deepEqual(back.compare[0]?.range_end, Buffer.from('z'));
  assert.equal(back.success[0]?.request, 'request_put');
  assert.equal(back.failure[0]?.request, 'request_range');
  // range_end is field 64, wire type 2 -> tag 64<<3|2 = 514 -> varint 82 04, len 1, 'z'
  assert.ok(hex(bytes).includes('820401' + '7a'));
});

test('StatusResponse 3.6 fields', () => {
  const st = method('etcdserverpb.Maintenance', 'Status');
  const bytes = st.responseSerialize({
    storageVersion: '3.6.0',
    dbSizeQuota: '2147483648',
    downgradeInfo: { enabled: true, targetVersion: '3.5.0' },
  });
  const back = st.responseDeserialize(bytes) as Record<string, unknown>;
  assert.equal(back.storageVersion, '3.6.0');
  assert.equal(back.dbSizeQuota, '2147483648');
  assert.deepEqual(back.downgradeInfo, { enabled: true, targetVersion: '3.5.0' });
});

test('raftpb is proto2: Entry field order, unpacked repeated uint64', () => {
  const Entry = root.lookupType('raftpb.Entry');
  const ConfState = root.lookupType('raftpb.ConfState');

  // Type is field 1, Term 2, Index 3, Data 4. Go (gogoproto, nullable=false)
  // always writes Type/Term/Index, so set them explicitly to match its bytes.
  const e = Entry.encode(Entry.fromObject({ Type: 'EntryNormal', Term: '5', Index: '11', Data: Buffer.from('x') })).finish();
  assert.equal(hex(e), '0800' + '1005' + '180b' + '220178');

  // proto2 repeated scalars are NOT packed: one tag per element.
  const cs = ConfState.encode(ConfState.fromObject({ voters: ['1', '2'], auto_leave: false })).finish();
  assert.equal(hex(cs), '0801' + '0802' + '2800');
  // ...but a parser must accept the packed form too.
  const decoded = ConfState.toObject(ConfState.decode(Buffer.from('0a020102', 'hex')), CONV);
  assert.deepEqual(decoded.voters, ['1', '2']);
});

test('raftpb.Message with entries round-trips', () => {
  const Message = root.lookupType('raftpb.Message');
  const msg = {
    type: 'MsgApp',
    to: '2',
    from: '1',
    term: '5',
    logTerm: '4',
    index: '10',
    entries: [
      { Type: 'EntryNormal', Term: '5', Index: '11', Data: Buffer.from('hello') },
      { Type: 'EntryConfChangeV2', Term: '5', Index: '12', Data: Buffer.from([1, 2, 3]) },
    ],
    commit: '10',
    vote: '18446744073709551615', // max uint64 survives as a string
    snapshot: {
      data: Buffer.from('snap'),
      metadata: { conf_state: { voters: ['1', '2', '3'], learners: ['4'] }, index: '9', term: '4' },
    },
    reject: true,
    rejectHint: '3',
  };
  const bytes = Message.encode(Message.fromObject(msg)).finish();
  const decodedMsg = Message.decode(bytes);
  const back = Message.toObject(decodedMsg, CONV);
  assert.equal(back.type, 'MsgApp');
  assert.equal(back.vote, '18446744073709551615');
  assert.equal(back.entries.length, 2);
  assert.equal(back.entries[1].Type, 'EntryConfChangeV2');
  assert.deepEqual(back.entries[0].Data, Buffer.from('hello'));
  assert.deepEqual(back.snapshot.metadata.conf_state.voters, ['1', '2', '3']);
  assert.deepEqual(back.snapshot.metadata.conf_state.learners, ['4']);
  assert.equal(back.reject, true);
  // proto2 presence: an unset field is not an own property of the decoded message,
  // even though toObject({defaults: true}) fills in an empty buffer.
  assert.equal(Object.prototype.hasOwnProperty.call(decodedMsg, 'context'), false);
  assert.equal(Object.prototype.hasOwnProperty.call(decodedMsg, 'reject'), true);
  assert.deepEqual(back.context, Buffer.alloc(0));
  assert.deepEqual(back.responses, []);

  // A minimal heartbeat has exactly the fields that were set.
  const hb = Message.encode(Message.fromObject({ type: 'MsgHeartbeat', to: '2', from: '1', term: '1', commit: '3' })).finish();
  // 08 08 | 10 02 | 18 01 | 20 01 | 40 03 (commit = field 8 -> tag 0x40)
  assert.equal(hex(hb), '0808' + '1002' + '1801' + '2001' + '4003');
});

test('HardState, ConfChange and ConfChangeV2', () => {
  const HardState = root.lookupType('raftpb.HardState');
  const hs = HardState.encode(HardState.fromObject({ term: '2', vote: '1', commit: '7' })).finish();
  assert.equal(hex(hs), '0802' + '1001' + '1807');

  const ConfChange = root.lookupType('raftpb.ConfChange');
  // id is field 1 even though declared last; type 2, node_id 3, context 4
  const cc = ConfChange.encode(
    ConfChange.fromObject({ id: '9', type: 'ConfChangeAddLearnerNode', node_id: '4', context: Buffer.from('c') }),
  ).finish();
  assert.equal(hex(cc), '0809' + '1003' + '1804' + '220163');

  const V2 = root.lookupType('raftpb.ConfChangeV2');
  const v2 = V2.toObject(
    V2.decode(
      V2.encode(
        V2.fromObject({ transition: 'ConfChangeTransitionJointExplicit', changes: [{ type: 'ConfChangeRemoveNode', node_id: '3' }] }),
      ).finish(),
    ),
    CONV,
  );
  assert.equal(v2.transition, 'ConfChangeTransitionJointExplicit');
  assert.deepEqual(v2.changes, [{ type: 'ConfChangeRemoveNode', node_id: '3' }]);
});

test('lock and election messages', () => {
  const lock = method('v3lockpb.Lock', 'Lock');
  const lb = lock.requestSerialize({ name: Buffer.from('m'), lease: '1' });
  assert.equal(hex(lb), '0a016d' + '1001');
  const camp = method('v3electionpb.Election', 'Campaign');
  const resp = camp.responseDeserialize(
    camp.responseSerialize({
      header: { revision: '5' },
      leader: { name: Buffer.from('e'), key: Buffer.from('e/1'), rev: '5', lease: '1' },
    }),
  ) as { header: Record<string, unknown>; leader: Record<string, unknown> };
  assert.equal(resp.header.revision, '5');
  assert.equal(resp.header.cluster_id, '0');
  assert.equal(resp.leader.rev, '5');
  assert.deepEqual(resp.leader.key, Buffer.from('e/1'));
});

test('health check', () => {
  const check = method('grpc.health.v1.Health', 'Check');
  const b = check.responseSerialize({ status: 'SERVING' });
  assert.equal(hex(b), '0801');
  assert.deepEqual(check.responseDeserialize(b), { status: 'SERVING' });
});
