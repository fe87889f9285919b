package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** What the decode-product tests (GemvTest, BatchGemvTest) share: weights in each stored dtype, random values, the reference path. */
final class ThinProductFixtures {
    private ThinProductFixtures() {}

    /** The general thin path's rows: each weight row widened whole through readRow, as DotGemm reads them. */
    static DotGemm.Rows widenedRows(Matrix b) {
        int k = b.cols();
        return (j0, count, scratch, offset) -> {
            for (int jj = 0; jj < count; jj++) b.readRow(j0 + jj, 0, k, scratch, jj * k);
            offset[0] = 0;
            return scratch;
        };
    }

    /** w [rows x cols] stored off the heap in dtype (F32, BF16 by truncation, F16), as a mapped checkpoint would be. */
    static Matrix segment(float[] w, DType dtype, int rows, int cols) {
        MemorySegment seg = Arena.ofAuto().allocate((long) w.length * dtype.byteSize(), 64);
        for (int i = 0; i < w.length; i++) {
            switch (dtype) {
                case F32 -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, w[i]);
                case BF16 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i,
                        (short) (Float.floatToRawIntBits(w[i]) >>> 16));
                case F16 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i,
                        Float.floatToFloat16(w[i]));
                default -> throw new IllegalArgumentException();
            }
        }
        return Matrix.of(seg, dtype, rows, cols);
    }

    /** n values uniform in [-1, 1), the same for the same seed. */
    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
