package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight in bitsandbytes' 4-bit format (NF4 or FP4, QLoRA's storage): the row-major elements,
 * taken as one flat sequence, fall into blocks of 64 consecutive elements (a block may run over
 * the end of a row); each block has an fp32 absmax ({@link BlockAbsmax}, plain or
 * double-quantized) and each element is the code of the {@link Bnb4BitType} value nearest to
 * element/absmax (scaled as bitsandbytes does, by the fp32 reciprocal 1/absmax). Two codes share a
 * byte, the first element in the high nibble. An element reads back as value(code) × absmax in fp32.
 *
 * <p>The packing of the GEMM widens whole blocks a vector at a time: each byte is spread over two
 * int lanes, shifted so that each lane holds its nibble, and the 16-entry table is looked up with a
 * lane permutation; the products are the scalar ones, so the result is the same bit for bit.
 */
public final class Bnb4BitMatrix extends Matrix {
    public static final int BLOCK = 64;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** L bytes: a float vector's worth of codes needs L/2 of them; loading L keeps the shape legal. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** The vector path needs the table in one or two int vectors (8 or 16 lanes). */
    private static final boolean VECTOR = L == 8 || L == 16;
    /** Lane j of an output vector reads byte j/2. */
    private static final VectorShuffle<Byte> SPREAD = VectorShuffle.fromOp(B, j -> j / 2);
    /** Even lanes keep the high nibble (shift 4), odd lanes the low one. */
    private static final IntVector NIBBLE_SHIFT = IntVector.fromArray(I, shifts(I.length()), 0);
    /** Bytes of padding after the codes, so that the vector loads of the last block stay in the array. */
    private static final int PAD = 64;

    private final Bnb4BitType type;
    private final byte[] packed;
    private final BlockAbsmax absmax;
    private final IntVector tableLow, tableHigh;

    private Bnb4BitMatrix(Bnb4BitType type, byte[] packed, BlockAbsmax absmax, int rows, int cols) {
        super(rows, cols);
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - PAD - 1L) throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix is too large for one 4-bit array");
        if (packed.length != (n + 1) / 2 + PAD) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " 4-bit matrix takes " + (n + 1) / 2 + " bytes");
        }
        if (absmax.blocks() != (n + BLOCK - 1) / BLOCK) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " 4-bit matrix has " + (n + BLOCK - 1) / BLOCK
                    + " blocks, not " + absmax.blocks());
        }
        this.type = type;
        this.packed = packed;
        this.absmax = absmax;
        int[] bits = new int[32];
        for (int q = 0; q < 16; q++) bits[q] = Float.floatToRawIntBits(type.value(q));
        this.tableLow = IntVector.fromArray(I, bits, 0);
        this.tableHigh = L == 8 ? IntVector.fromArray(I, bits, 8) : tableLow;
    }

    /**
     * A matrix from stored codes: {@code codes} holds ceil(rows·cols/2) bytes from {@code offset}
     * (bitsandbytes' packed weight), {@code absmax} one value per 64 elements.
     */
    public static Bnb4BitMatrix of(Bnb4BitType type, MemorySegment codes, BlockAbsmax absmax, int rows, int cols) {
        long n = (long) rows * cols;
        if (codes.byteSize() != (n + 1) / 2) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " 4-bit matrix takes " + (n + 1) / 2
                    + " bytes of codes, not " + codes.byteSize());
        }
        byte[] packed = new byte[Math.toIntExact((n + 1) / 2 + PAD)];
        MemorySegment.copy(codes, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, packed, 0, (int) ((n + 1) / 2));
        return new Bnb4BitMatrix(type, packed, absmax, rows, cols);
    }

    /**
     * Quantizes {@code source} (any storage type, any shape) as bitsandbytes' quantize_4bit does with
     * blocksize 64; {@code doubleQuant} is its compress_statistics. A memory-mapped source is
     * released from memory afterwards (it is read once).
     */
    public static Bnb4BitMatrix quantize(Matrix source, Bnb4BitType type, boolean doubleQuant) {
        Objects.requireNonNull(type);
        int rows = source.rows(), cols = source.cols();
        long n = (long) rows * cols;
        int blocks = (int) ((n + BLOCK - 1) / BLOCK);
        byte[] packed = new byte[Math.toIntExact((n + 1) / 2 + PAD)];
        float[] absmax = new float[blocks];
        // Tasks of 1024 blocks (whole bytes each, so no two tasks write one byte); the codes do not
        // depend on the split.
        int chunk = 1024;
        int tasks = (blocks + chunk - 1) / chunk;
        int parts = Math.max(1, Math.min(tasks, Parallel.usableThreads()));
        Parallel.run(parts, part -> {
            float[] x = new float[BLOCK];
            for (int t = part; t < tasks; t += parts) {
                for (int b = t * chunk, end = Math.min(blocks, (t + 1) * chunk); b < end; b++) {
                    long e0 = (long) b * BLOCK;
                    int len = (int) Math.min(BLOCK, n - e0);
                    readFlat(source, e0, len, x);
                    absmax[b] = quantizeBlock(type, x, len, packed, e0);
                }
            }
        });
        // an odd count leaves a low nibble with no element: bitsandbytes fills it with the code of 0
        if (n % 2 == 1) packed[(int) (n / 2)] |= (byte) type.quantize(0f);
        SegmentMatrix.release(source);
        BlockAbsmax scales = doubleQuant ? BlockAbsmax.doubleQuantize(absmax) : BlockAbsmax.plain(absmax);
        return new Bnb4BitMatrix(type, packed, scales, rows, cols);
    }

    /** Quantizes x[0 .. len) (elements e0 ..) into their nibbles; returns the block's absmax. */
    private static float quantizeBlock(Bnb4BitType type, float[] x, int len, byte[] packed, long e0) {
        float max = 0f;
        for (int j = 0; j < len; j++) max = Math.max(max, Math.abs(x[j]));
        float inverse = 1f / Math.max(max, 1e-38f);
        for (int j = 0; j < len; j++) {
            int q = type.quantize(x[j] * inverse);
            long e = e0 + j;
            int at = (int) (e >>> 1);
            // blocks start at even elements, so a byte never has nibbles from two blocks (or two tasks)
            packed[at] = (e & 1) == 0 ? (byte) (q << 4) : (byte) (packed[at] | q);
        }
        return max;
    }

    /** Elements e0 .. e0+len of source's flat row-major sequence into x. */
    private static void readFlat(Matrix source, long e0, int len, float[] x) {
        int cols = source.cols();
        int o = 0;
        while (o < len) {
            long e = e0 + o;
            int r = (int) (e / cols), c = (int) (e % cols);
            int run = Math.min(len - o, cols - c);
            source.readRow(r, c, run, x, o);
            o += run;
        }
    }

    public Bnb4BitType type() { return type; }

    public BlockAbsmax absmax() { return absmax; }

    /** The packed codes, ceil(rows·cols/2) bytes, as bitsandbytes stores its weight. */
    public byte[] packedCodes() {
        return Arrays.copyOf(packed, packed.length - PAD);
    }

    /** Bytes this matrix takes in memory. */
    public long bytes() {
        return packed.length + absmax.bytes();
    }

    /** The bytes a rows x cols matrix takes in this format (for the memory estimate before loading). */
    public static long bytes(long rows, long cols, boolean doubleQuant) {
        long n = rows * cols, blocks = (n + BLOCK - 1) / BLOCK;
        long scales = doubleQuant ? blocks + 4 * ((blocks + 255) / 256) + 4 * 256 + 4 : 4 * blocks;
        return (n + 1) / 2 + PAD + scales;
    }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        long e = (long) r * cols() + c0, end = e + len;
        int o = dstOff;
        while (e < end) {
            int b = (int) (e / BLOCK);
            long blockEnd = Math.min(end, (long) (b + 1) * BLOCK);
            float scale = absmax.get(b);
            if (VECTOR && e == (long) b * BLOCK && blockEnd - e == BLOCK) {
                wholeBlock((int) (e >>> 1), scale, dst, o);
            } else {
                for (long i = e; i < blockEnd; i++) dst[o + (int) (i - e)] = type.value(code(i)) * scale;
            }
            o += (int) (blockEnd - e);
            e = blockEnd;
        }
    }

    /**
     * Four rows a block at a time, each vector of codes decoded and scaled in registers (the same
     * products as {@link #readRow}). Needs whole blocks per row (cols a multiple of 64), so that a
     * row starts at a block. Each block also reads a byte of each of the two cache lines that hold the
     * next four rows' codes for that block, as a prefetch ({@link ReadAhead}; `jtune bench decode
     * --weights nf4`, before and after alternating, three pairs: 24.7 / 24.2 / 25.8 → 26.5 / 26.1 /
     * 26.2 tok/s, the bf16 LM head included).
     */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        int k = cols();
        if (!VECTOR || k % BLOCK != 0) return false;
        int rowBytes = k / 2;
        int a0 = (int) ((long) r * k / 2), a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
        int b0 = (int) ((long) r * k / BLOCK), blocksPerRow = k / BLOCK;
        int next = (int) ((long) ReadAhead.nextFour(r, rows()) * k / 2);
        int ahead = 0;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int c = 0, b = 0; c < k; c += BLOCK, b++) {
            int line = next + 2 * c;
            ahead ^= packed[line] ^ packed[line + ReadAhead.LINE];
            float d0 = absmax.get(b0 + b), d1 = absmax.get(b0 + blocksPerRow + b);
            float d2 = absmax.get(b0 + 2 * blocksPerRow + b), d3 = absmax.get(b0 + 3 * blocksPerRow + b);
            for (int j = 0; j < BLOCK; j += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xi + c + j);
                int byteOff = (c + j) / 2;
                s0 = xv.fma(values(a0 + byteOff).mul(d0), s0);
                s1 = xv.fma(values(a1 + byteOff).mul(d1), s1);
                s2 = xv.fma(values(a2 + byteOff).mul(d2), s2);
                s3 = xv.fma(values(a3 + byteOff).mul(d3), s3);
            }
        }
        ReadAhead.keep(ahead);
        s0.intoArray(lanes, 0); s1.intoArray(lanes, L); s2.intoArray(lanes, 2 * L); s3.intoArray(lanes, 3 * L);
        return true;
    }

    /** The table values of the L codes in the L/2 bytes from byteAt (first element in the high nibble). */
    private FloatVector values(int byteAt) {
        IntVector codes = (IntVector) ByteVector.fromArray(B, packed, byteAt)
                .rearrange(SPREAD)
                .convertShape(VectorOperators.B2I, I, 0);
        codes = codes.lanewise(VectorOperators.ASHR, NIBBLE_SHIFT).and(0xF);
        IntVector bits = L == 16 ? codes.selectFrom(tableLow) : codes.selectFrom(tableLow, tableHigh);
        return bits.reinterpretAsFloats();
    }

    private int code(long e) {
        int v = packed[(int) (e >>> 1)];
        return (e & 1) == 0 ? (v >> 4) & 0xF : v & 0xF;
    }

    /** dst[o .. o+64) = value(code) · scale for the 32 bytes from byteAt, a float vector at a time. */
    private void wholeBlock(int byteAt, float scale, float[] dst, int o) {
        for (int j = 0; j < BLOCK; j += L) {
            IntVector codes = (IntVector) ByteVector.fromArray(B, packed, byteAt + j / 2)
                    .rearrange(SPREAD)
                    .convertShape(VectorOperators.B2I, I, 0);
            codes = codes.lanewise(VectorOperators.ASHR, NIBBLE_SHIFT).and(0xF);
            IntVector bits = L == 16 ? codes.selectFrom(tableLow) : codes.selectFrom(tableLow, tableHigh);
            bits.reinterpretAsFloats().mul(scale).intoArray(dst, o + j);
        }
    }

    private static int[] shifts(int lanes) {
        int[] s = new int[lanes];
        for (int j = 0; j < lanes; j += 2) s[j] = 4;
        return s;
    }
}
