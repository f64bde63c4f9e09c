/** The peer transport (--listen-peer-urls): public surface for the server. */
export { PeerTransport, DEFAULT_TUNING, type PeerTransportOptions, type PeerTransportTuning, type PeerTransportStatus } from './transport';
export type { PeerState } from './remote-peer';
export { encodeMessage, decodeMessage } from './raft-codec';
export { ERR_MEMBER_REMOVED } from './headers';
