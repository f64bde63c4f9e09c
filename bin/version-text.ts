/** `etcd --version` output, in etcd's shape, for the emulated etcd version. */
import { ETCD_VERSION } from '../src/version';

const GO_OS: Record<string, string> = { win32: 'windows', sunos: 'solaris' };
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le', mipsel: 'mipsle' };

export function goOs(platform: string): string {
  return GO_OS[platform] ?? platform;
}

export function goArch(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

export function versionText(
  nodeVersion: string = process.version,
  platform: string = process.platform,
  arch: string = process.arch,
): string {
  return (
    `etcd Version: ${ETCD_VERSION}\n` +
    'Git SHA: etcd-ts\n' +
    `Go Version: node ${nodeVersion}\n` +
    `Go OS/Arch: ${goOs(platform)}/${goArch(arch)}\n`
  );
}
