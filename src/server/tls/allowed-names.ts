/**
 * etcd's --peer-cert-allowed-cn / --peer-cert-allowed-hostname check (VerifyPeerCertificate in
 * transport.TLSInfo's base config, so it applies to both ends of a peer connection): the other
 * side's verified certificate must carry one of the common names, or be valid for one of the
 * host names; otherwise `client certificate authentication failed`.
 */
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { TlsInfo } from '../config/tls';

export const ALLOWED_NAMES_FAILED = 'client certificate authentication failed';

/** The refusal text for `cert`, or undefined when it passes (or no names are configured). */
export function allowedNamesRefusal(info: TlsInfo, cert: PeerCertificate): string | undefined {
  const cns = info.allowedCns ?? [];
  const hosts = info.allowedHostnames ?? [];
  if (cns.length > 0) return cns.includes(String(cert.subject?.CN ?? '')) ? undefined : ALLOWED_NAMES_FAILED;
  if (hosts.length > 0) return hosts.some((h) => checkServerIdentity(h, cert) === undefined) ? undefined : ALLOWED_NAMES_FAILED;
  return undefined;
}

/** Whether any names are configured. */
export function hasAllowedNames(info: TlsInfo): boolean {
  return (info.allowedCns ?? []).length > 0 || (info.allowedHostnames ?? []).length > 0;
}
