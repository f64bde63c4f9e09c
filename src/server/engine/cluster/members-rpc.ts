/**
 * `etcdts.peer.Cluster/Members` on the peer port: how a member started with
 * --initial-cluster-state existing learns the cluster id and its own member id (etcd asks
 * GET /members of the peers in --initial-cluster for the same purpose).
 */
import { type ChannelCredentials, Client, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoRoot } from '../../wire/protos';
import type { Membership } from './membership';
import { EtcdError } from '../../../errors';
import { kindOfMessage, toServiceError } from '../../wire/error-table';

let def: ServiceDefinition | undefined;

function definition(): ServiceDefinition {
  if (def === undefined) {
    const pkg = protoLoader.loadSync('etcdts/peer.proto', {
      includeDirs: [protoRoot()],
      keepCase: true,
      longs: String,
      defaults: true,
    });
    def = pkg['etcdts.peer.Cluster'] as unknown as ServiceDefinition;
  }
  return def;
}

export function membersService(
  membership: Membership,
  promote: (id: bigint) => Promise<void>,
): { definition: ServiceDefinition; implementation: UntypedServiceImplementation } {
  return {
    definition: definition(),
    implementation: {
      Members: (_call: unknown, cb: (err: null, res: object) => void) =>
        cb(null, { cluster_id: membership.clusterId.toString(), members_json: membership.toJson() }),
      Promote: (call: { request: { member_id: string } }, cb: (err: object | null, res?: object) => void) => {
        promote(BigInt(call.request.member_id)).then(
          () => cb(null, {}),
          (e: unknown) => cb(toServiceError(e)),
        );
      },
    },
  };
}

/** Forwards MemberPromote to the leader at `peerUrl`; a relayed etcd error keeps its kind. */
export async function forwardPromote(peerUrl: string, id: bigint, timeoutMs: number, creds: ChannelCredentials): Promise<void> {
  const u = new URL(peerUrl);
  const client = new Client(`${u.hostname}:${u.port}`, creds);
  const m = definition().Promote!;
  try {
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        { member_id: id.toString() },
        { deadline: Date.now() + timeoutMs },
        (err) => {
          if (!err) return resolve();
          const kind = kindOfMessage(err.details);
          reject(kind !== undefined ? new EtcdError(kind) : new EtcdError('Timeout', err.details));
        },
      ),
    );
  } finally {
    client.close();
  }
}

/** Asks the member at `peerUrl` for the cluster's membership. */
export async function fetchMembers(
  peerUrl: string,
  timeoutMs: number,
  creds: ChannelCredentials,
): Promise<{ clusterId: bigint; membersJson: string }> {
  const u = new URL(peerUrl);
  const client = new Client(`${u.hostname}:${u.port}`, creds);
  const m = definition().Members!;
  try {
    const res = await new Promise<{ cluster_id: string; members_json: string }>((resolve, reject) =>
      client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize as (b: Buffer) => { cluster_id: string; members_json: string },
        {},
        { deadline: Date.now() + timeoutMs },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
    return { clusterId: BigInt(res.cluster_id), membersJson: res.members_json };
  } finally {
    client.close();
  }
}
