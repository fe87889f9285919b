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
