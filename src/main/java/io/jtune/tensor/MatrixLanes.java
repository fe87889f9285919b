package io.jtune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lane layout that the weight formats' fused dot products ({@link Matrix#dotRows4}) and
 * {@link Gemv} agree on: for row jj of a group of four, lanes[jj*L + l] is the sum of x[p]·w[p] over
 * p = l, l+L, ..., in increasing p, as one fma chain started from zero.
 */
final class MatrixLanes {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    private MatrixLanes() {}

    /**
     * Continues the chains of {@code rows} rows held in fp32 (row jj at y[jj*ldy ..]) over
     * {@code len} more columns (a multiple of L), starting from x[xi].
     */
    static void accumulate(float[] x, int xi, float[] y, int ldy, int rows, int len, float[] lanes) {
        if (rows == 4) {
            // four chains side by side: one alone would wait on each fma's latency
            FloatVector s0 = FloatVector.fromArray(F, lanes, 0), s1 = FloatVector.fromArray(F, lanes, L);
            FloatVector s2 = FloatVector.fromArray(F, lanes, 2 * L), s3 = FloatVector.fromArray(F, lanes, 3 * L);
            for (int p = 0; p < len; p += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + p);
                s0 = xv.fma(FloatVector.fromArray(F, y, p), s0);
                s1 = xv.fma(FloatVector.fromArray(F, y, ldy + p), s1);
                s2 = xv.fma(FloatVector.fromArray(F, y, 2 * ldy + p), s2);
                s3 = xv.fma(FloatVector.fromArray(F, y, 3 * ldy + p), s3);
            }
            s0.intoArray(lanes, 0); s1.intoArray(lanes, L); s2.intoArray(lanes, 2 * L); s3.intoArray(lanes, 3 * L);
            return;
        }
        for (int jj = 0; jj < rows; jj++) {
            FloatVector s = FloatVector.fromArray(F, lanes, jj * L);
            int yi = jj * ldy;
            for (int p = 0; p < len; p += L) {
                s = FloatVector.fromArray(F, x, xi + p).fma(FloatVector.fromArray(F, y, yi + p), s);
            }
            s.intoArray(lanes, jj * L);
        }
    }
}
