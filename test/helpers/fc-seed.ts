/**
 * The seed of a fast-check property test: FC_SEED when set (a replay), else a fresh one. It is
 * printed as the test's diagnostic, so a failure can be replayed with FC_SEED=<seed>.
 */
export function fcSeed(t: { diagnostic(message: string): void }): number {
  const s = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  t.diagnostic(`seed=${s} (replay: FC_SEED=${s})`);
  return s;
}
