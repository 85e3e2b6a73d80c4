// Maxout, the grouped kind: the conformance cases every backend runs (test/conformance/ops.ts
// collects them with the elementwise specs), against float64 references
// (test/helpers/family-reference.ts).
import { assert } from '../helpers/compare.js';
import { SPECIAL_BITS, floatsFromBits } from '../helpers/float.js';
import type { ConformanceCase } from '../conformance/relu.js';
import { checkMaxout, mixed, read } from '../helpers/family-reference.js';

export const cases: readonly ConformanceCase[] = [
  {
    name: 'maxout: hand-worked values: the max of each group, NaN wins, ties and -0/+0 go to the first, gradient to the winner',
    async run({ acts }) {
      const x = acts.tensor([1, 3, 3, 2, NaN, 5, -0, 0, -Infinity, -Infinity], [5, 2]);
      const y = acts.maxout(x, { pieces: 2 });
      const got = await read(y);
      assert(
        got[0] === 3 && got[1] === 3 && Number.isNaN(got[2]) && Object.is(got[3], -0) && got[4] === -Infinity,
        `y = [${got.join(', ')}], expected [3, 3, NaN, -0, -Infinity]`,
      );
      const dy = acts.tensor([10, 20, 30, 40, 50], [5, 1]);
      const dx = await read(acts.maxoutBackward({ x, dy }, { pieces: 2 }));
      assert(dx.join() === [0, 10, 20, 0, 30, 0, 40, 0, 50, 0].join(), `dx = [${dx.join(', ')}]`);
      x.dispose();
      dy.dispose();
    },
  },
  {
    name: 'maxout: groups along any axis, bit-exact with a float64 reference, special values included',
    async run({ acts }) {
      await checkMaxout(acts, '[6, 8] pieces 2', [6, 8], 2, undefined, mixed(48, 1));
      await checkMaxout(acts, '[6, 8] pieces 4', [6, 8], 4, -1, mixed(48, 2));
      await checkMaxout(acts, '[2, 6, 5] pieces 3 axis 1', [2, 6, 5], 3, 1, mixed(60, 3));
      await checkMaxout(acts, '[4, 3, 2] pieces 4 axis 0', [4, 3, 2], 4, 0, mixed(24, 4));
      await checkMaxout(acts, '[12] pieces 12', [12], 12, undefined, mixed(12, 5));
      await checkMaxout(acts, '[5, 7] pieces 1', [5, 7], 1, undefined, mixed(35, 6));
      await checkMaxout(acts, '[0, 4] pieces 2', [0, 4], 2, undefined, new Float32Array(0));
      const k = SPECIAL_BITS.length;
      const all = floatsFromBits(SPECIAL_BITS.flatMap((a) => SPECIAL_BITS.map((b) => [a, b]).flat()));
      await checkMaxout(acts, 'every pair of special values', [k * k, 2], 2, undefined, all);
      await checkMaxout(acts, '[300, 512] pieces 4', [300, 512], 4, undefined, mixed(300 * 512, 7));
    },
  },
];
