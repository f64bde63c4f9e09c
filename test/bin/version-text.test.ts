import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goArch, goOs, versionText } from '../../bin/version-text';
import { ETCD_CLUSTER_VERSION, ETCD_TS_VERSION, ETCD_VERSION } from '../../src/version';

test('version constants', () => {
  assert.match(ETCD_VERSION, /^3\.6\.\d+$/);
  assert.equal(ETCD_CLUSTER_VERSION, '3.6.0');
  assert.equal(ETCD_TS_VERSION, '0.1.0');
});

test('node platform/arch map to Go names', () => {
  assert.equal(goArch('x64'), 'amd64');
  assert.equal(goArch('arm64'), 'arm64');
  assert.equal(goArch('ia32'), '386');
  assert.equal(goOs('win32'), 'windows');
  assert.equal(goOs('linux'), 'linux');
  assert.equal(
    versionText('v20.1.0', 'linux', 'x64'),
    `etcd Version: ${ETCD_VERSION}\nGit SHA: etcd-ts\nGo Version: node v20.1.0\nGo OS/Arch: linux/amd64\n`,
  );
});
