package io.jtune.tensor;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight quantized to 8 bits per output row (quantization_bit: 8, weight-only): each row keeps
 * its max|w| in fp32 and each element q = round(w · 127 / max|row|) (fp32 arithmetic, halves to
 * even as torch.round), read back as q · max|row| / 127 in fp32. This is bitsandbytes' row-wise
 * int8 weight storage; unlike LLM.int8() the activations are not quantized: the GEMM widens the
 * weight to fp32 and multiplies in fp32.
 */
public final class Int8RowMatrix extends Matrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * Byte.SIZE)));

    private final byte[] codes;
    private final float[] rowMax;

    private Int8RowMatrix(byte[] codes, float[] rowMax, int rows, int cols) {
        super(rows, cols);
        if (codes.length != (long) rows * cols || rowMax.length != rows) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " int8 matrix takes " + (long) rows * cols
                    + " codes and " + rows + " row maxima");
        }
        this.codes = codes;
        this.rowMax = rowMax;
    }

    /** Quantizes {@code source} row by row; a memory-mapped source is released from memory afterwards. */
    public static Int8RowMatrix quantize(Matrix source) {
        int rows = source.rows(), cols = source.cols();
        byte[] codes = new byte[Math.toIntExact((long) rows * cols)];
        float[] rowMax = new float[rows];
        int parts = Math.max(1, Math.min(Parallel.usableThreads(), rows / 64));
        Parallel.run(parts, part -> {
            float[] row = new float[cols];
            for (int r = (int) ((long) rows * part / parts), end = (int) ((long) rows * (part + 1) / parts); r < end; r++) {
                source.readRow(r, 0, cols, row, 0);
                float max = 0f;
                for (int c = 0; c < cols; c++) max = Math.max(max, Math.abs(row[c]));
                rowMax[r] = max;
                for (int c = 0; c < cols; c++) codes[r * cols + c] = max == 0f ? 0 : (byte) Math.rint(row[c] * 127f / max);
            }
        });
        SegmentMatrix.release(source);
        return new Int8RowMatrix(codes, rowMax, rows, cols);
    }

    /** The codes, row-major. */
    public byte[] codes() { return codes.clone(); }

    /** max|w| of each row. */
    public float[] rowMax() { return rowMax.clone(); }

    public long bytes() { return codes.length + 4L * rowMax.length; }

    public static long bytes(long rows, long cols) { return rows * cols + 4 * rows; }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        float max = rowMax[r];
        int at = r * cols() + c0;
        int lanes = F.length(), j = 0;
        for (; j + B.length() <= len; j += lanes) {
            ((FloatVector) ByteVector.fromArray(B, codes, at + j).convertShape(VectorOperators.B2F, F, 0))
                    .mul(max).div(127f).intoArray(dst, dstOff + j);
        }
        for (; j < len; j++) dst[dstOff + j] = codes[at + j] * max / 127f;
    }

    /**
     * Four rows, each code widened and scaled as readRow does (q · max / 127) in registers. Each
     * step also reads a byte of the next four rows' codes, one cache line a step of L columns, as a
     * prefetch ({@link ReadAhead}; `jtune bench decode --weights int8`, before and after alternating,
     * three pairs: 17.6 / 17.3 / 17.1 → 18.8 / 17.9 / 18.4 tok/s, the bf16 LM head included).
     */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int k = cols(), l = F.length(), body = k - k % l;
        if (B.length() != l) return false;
        int a0 = r * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        float m0 = rowMax[r], m1 = rowMax[r + 1], m2 = rowMax[r + 2], m3 = rowMax[r + 3];
        int next = ReadAhead.nextFour(r, rows()) * k;
        int ahead = 0;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < body; p += l) {
            ahead ^= codes[next + 4 * p];
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = xv.fma(widen(a0 + p).mul(m0).div(127f), s0);
            s1 = xv.fma(widen(a1 + p).mul(m1).div(127f), s1);
            s2 = xv.fma(widen(a2 + p).mul(m2).div(127f), s2);
            s3 = xv.fma(widen(a3 + p).mul(m3).div(127f), s3);
        }
        ReadAhead.keep(ahead);
        s0.intoArray(lanes, 0); s1.intoArray(lanes, l); s2.intoArray(lanes, 2 * l); s3.intoArray(lanes, 3 * l);
        return true;
    }

    private FloatVector widen(int at) {
        return (FloatVector) ByteVector.fromArray(B, codes, at).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    public String toString() {
        return "Int8RowMatrix[" + rows() + " x " + cols() + ", max " + Arrays.toString(Arrays.copyOf(rowMax, Math.min(2, rows()))) + "]";
    }
}
