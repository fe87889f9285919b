package io.jtune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The innermost loop of the blocked GEMM: an {@link #MR} x {@link #NR} tile of C kept in 16 vector
 * registers while it walks the shared depth. Per depth step it loads two vectors of the packed right
 * panel and broadcasts one element of each of the 8 left rows: 16 FMAs for 10 loads. Both panels
 * are packed depth-major, so each step reads one contiguous run of each (measured: about 155
 * GFLOP/s a core on data in cache, against about 120 with the left panel row-major).
 *
 * <p>Each output element is {@code c = fma(a[p], b[p], c)} for p = 0, 1, 2, ... in order, one
 * rounding per step; blocking and threading never change that chain, which is why results are
 * bit-identical for every thread count.
 *
 * <p>Keep it exactly this shape: C2 keeps all 16 accumulators, 2 B vectors and the broadcast in
 * the 32 AVX-512 registers; an extra live vector makes it spill and run several times slower.
 */
final class MicroKernel {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Rows of the tile: elements broadcast from the packed left panel. */
    static final int MR = 8;
    /** Columns of the tile: two vectors of the packed right panel. */
    static final int NR = 2 * L;

    private MicroKernel() {}

    /**
     * C tile (+)= A·B over kc depth steps. A is packed as {@code a[aOff + p*MR + r]},
     * B as {@code b[bOff + p*NR + s]}; the tile lies at {@code c[cOff + r*ldc + s]}.
     * With {@code load} false the tile starts from zero instead of C.
     */
    static void tile(float[] a, int aOff, int kc, float[] b, int bOff, float[] c, int cOff, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (load) {
            c00 = FloatVector.fromArray(F, c, cOff);
            c01 = FloatVector.fromArray(F, c, cOff + L);
            c10 = FloatVector.fromArray(F, c, cOff + ldc);
            c11 = FloatVector.fromArray(F, c, cOff + ldc + L);
            c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc);
            c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + L);
            c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc);
            c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + L);
            c40 = FloatVector.fromArray(F, c, cOff + 4 * ldc);
            c41 = FloatVector.fromArray(F, c, cOff + 4 * ldc + L);
            c50 = FloatVector.fromArray(F, c, cOff + 5 * ldc);
            c51 = FloatVector.fromArray(F, c, cOff + 5 * ldc + L);
            c60 = FloatVector.fromArray(F, c, cOff + 6 * ldc);
            c61 = FloatVector.fromArray(F, c, cOff + 6 * ldc + L);
            c70 = FloatVector.fromArray(F, c, cOff + 7 * ldc);
            c71 = FloatVector.fromArray(F, c, cOff + 7 * ldc + L);
        } else {
            FloatVector z = FloatVector.zero(F);
            c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
            c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
        }
        int ai = aOff, bi = bOff;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, b, bi);
            FloatVector b1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector av = FloatVector.broadcast(F, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(F, a[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(F, a[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(F, a[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(F, a[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(F, a[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(F, a[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(F, a[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
    }
}
