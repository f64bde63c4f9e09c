/**
 * RecordOverlay (the engine's records not landed yet, by revision) against a Map keyed by
 * "main_sub": after any sequence of set, settle and clear, get, size and forEach answer as the
 * Map does, including revisions that go from one record to many and back to none, a record
 * replaced at the same revision (settling the old one leaves the new one), and settles of records
 * no longer held. Randomized: prints its seed (replay with FC_SEED=<seed>).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordOverlay } from '../../src/server/engine/storage/record-overlay';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

interface Rec {
  main: number;
  sub: number;
  id: number;
}

type Step = { op: 'set'; main: number; sub: number } | { op: 'settle'; pick: number } | { op: 'clear' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('set' as const), main: fc.integer({ min: 1, max: 4 }), sub: fc.integer({ min: 0, max: 6 }) }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('settle' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

test('RecordOverlay answers as a Map keyed by revision', (t) => {
  t.diagnostic(`seed=${seed} (replay: FC_SEED=${seed})`);
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      const overlay = new RecordOverlay<Rec>();
      const model = new Map<string, Rec>();
      const made: Rec[] = []; // every record ever set, so settles also name replaced and settled ones
      for (const s of steps) {
        if (s.op === 'set') {
          const r = { main: s.main, sub: s.sub, id: made.length };
          made.push(r);
          overlay.set(r);
          model.set(`${r.main}_${r.sub}`, r);
        } else if (s.op === 'settle') {
          if (made.length === 0) continue;
          const r = made[s.pick % made.length]!;
          overlay.settle(r);
          if (model.get(`${r.main}_${r.sub}`) === r) model.delete(`${r.main}_${r.sub}`);
        } else {
          overlay.clear();
          model.clear();
        }
        assert.equal(overlay.size, model.size);
        for (let main = 0; main <= 5; main++) {
          for (let sub = 0; sub <= 7; sub++) assert.equal(overlay.get(main, sub), model.get(`${main}_${sub}`));
        }
        const seen: Rec[] = [];
        overlay.forEach((r) => seen.push(r));
        assert.deepEqual(
          seen.sort((a, b) => a.id - b.id),
          [...model.values()].sort((a, b) => a.id - b.id),
        );
      }
    }),
    { seed, numRuns: 500 },
  );
});
