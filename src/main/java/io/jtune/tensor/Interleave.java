package io.jtune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs rows of a row-major matrix depth-major: {@code dst[o + p*W + w] = src[base + w*ld + p]} for
 * W rows (a transpose of a W x kc block). Done with vector gathers, one lane per row, which the
 * hardware does several times faster than the same moves one float at a time.
 */
final class Interleave {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ThreadLocal<int[]> INDEX = ThreadLocal.withInitial(() -> new int[2 * L]);

    private Interleave() {}

    /** W = 2L rows (a right micro-panel): two gathers per depth step. */
    static void rows2L(float[] src, int base, int ld, int kc, float[] dst, int o) {
        int[] index = INDEX.get();
        for (int w = 0; w < 2 * L; w++) index[w] = w * ld;
        int w2 = 2 * L;
        for (int p = 0; p < kc; p++) {
            FloatVector.fromArray(F, src, base + p, index, 0).intoArray(dst, o + p * w2);
            FloatVector.fromArray(F, src, base + p, index, L).intoArray(dst, o + p * w2 + L);
        }
    }

    /** W = L/2 rows (a left micro-panel of MR = 8 with 16-lane vectors): one gather covers two depth steps. */
    static void rowsHalfL(float[] src, int base, int ld, int kc, float[] dst, int o) {
        int h = L / 2;
        int[] index = INDEX.get();
        for (int w = 0; w < h; w++) {
            index[w] = w * ld;
            index[w + h] = w * ld + 1;
        }
        int p = 0;
        for (; p + 2 <= kc; p += 2) FloatVector.fromArray(F, src, base + p, index, 0).intoArray(dst, o + p * h);
        for (; p < kc; p++) {
            for (int w = 0; w < h; w++) dst[o + p * h + w] = src[base + w * ld + p];
        }
    }
}
