package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The batched-decode product: y[m x n] (+)= x[m x k] · Wᵀ for a handful of token rows (one per
 * sequence decoded together, 3 to {@link Gemm#THIN}) and a stored weight with many rows. Each weight
 * element is read and widened to fp32 once for all m rows: four weight rows at a time, {@link #CHUNK}
 * columns at a time, into a block that stays in the L1 cache, which every token row then multiplies
 * in 4 x 4 register tiles. Widening a row once per token row instead (m GEMVs) or widening whole
 * rows into a buffer larger than L1 cost more than the multiplications (measured with bf16 weights
 * at m = 8: the widening took twice the time of the dot products). bf16 weights skip the block: the
 * tiles widen them in registers as they read them (a shift), so the loads from memory overlap the
 * multiplications (about 6% less CPU time in the serving benchmark's 8-stream workload, under load).
 *
 * <p>Determinism and bits: the work is split over the output columns (W's rows), never over k, and
 * each dot product keeps one partial sum per vector lane (lane l sums k = l, l+L, ... in increasing
 * order from zero, the chunks being multiples of L), the last k % L products are folded into the
 * first lanes and the lanes are added left to right. That is {@link DotGemm}'s and {@link Gemv}'s
 * order, so a token row's result is the same bits whether it is decoded alone or in a batch.
 */
final class BatchGemv {
    /** Fewest token rows this kernel takes: fewer go to {@link Gemv}, which reads each weight byte once too. */
    static final int MIN_X_ROWS = Gemv.MAX_X_ROWS + 1;
    /** Most token rows: more go to the blocked GEMM, whose packed panels pay off with many rows. */
    static final int MAX_X_ROWS = Gemm.THIN;
    /** Weight rows widened together: the four columns of a register tile. */
    private static final int GROUP = 4;
    /** Columns widened per block: 4 rows x 512 fp32 = 8 KiB, in L1 beside the token rows' chunk. */
    private static final int CHUNK = 512;

    private static final VectorSpecies<Float> F = MatrixLanes.F;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int L = MatrixLanes.L;
    /** Whether the bf16 4 x 4 tiles add their lanes in registers (see bf16Tile4x4): 16-lane vectors, 16 outputs a tile. */
    private static final boolean SUMS_IN_REGISTERS = L == 16;

    // The 16 x 16 transpose of a tile's accumulators (vector o = 4·i + jj, lane l) in four rounds of
    // block swaps: round h pairs vectors o and o + h (o without bit h) and swaps the h x h blocks off
    // the diagonal, lanes with bit h of the first against lanes without it of the second.
    // selectFrom(a, b) indexes a as 0..15 and b as 16..31.
    private static final IntVector KEEP8 = swapIndex(8, false), TAKE8 = swapIndex(8, true), KEEP4 = swapIndex(4, false), TAKE4 = swapIndex(4, true);
    private static final IntVector KEEP2 = swapIndex(2, false), TAKE2 = swapIndex(2, true), KEEP1 = swapIndex(1, false), TAKE1 = swapIndex(1, true);

    /** Round h's index for the first vector of a pair (its own lanes without bit h, the partner's with it) or the second. */
    private static IntVector swapIndex(int h, boolean second) {
        if (L != 16) return null;   // only the 16-lane (AVX-512) tiles sum in registers
        int[] index = new int[16];
        for (int t = 0; t < 16; t++) {
            boolean high = (t & h) != 0;
            index[t] = second ? (high ? 16 + t : t + h) : (high ? 16 + t - h : t);
        }
        return IntVector.fromArray(IntVector.SPECIES_512, index, 0);
    }

    private BatchGemv() {}

    /** C[i][j] at c[cOff + i*n + j]; x row i at x[xOff + i*k]. */
    static void run(float[] x, int xOff, Matrix w, int m, float[] c, int cOff, boolean accumulate) {
        AlignedRows xs = w instanceof SegmentMatrix.Bf16 ? AlignedRows.of(x, xOff, m, w.cols()) : null;
        Gemv.inPieces(m, w, (j0, j1) -> rows(x, xOff, xs, w, m, j0, j1, c, cOff, accumulate));
    }

    /**
     * The token rows copied to native memory that starts on a cache line, each row padded to whole
     * lines, for the bf16 tiles: their token vectors (64 bytes with AVX-512) then never straddle two
     * lines, as they mostly do from a Java array, whose elements start 16 bytes into an object placed
     * anywhere (a line-split load costs about two; measured from the caches with 8 token rows: 64-70
     * instead of 57-61 GFLOP/s). One buffer per calling thread, reused while large enough; the
     * kernel threads only read it during the call (a call nested inside a piece runs on the piece's
     * own thread, with that thread's buffer).
     */
    private record AlignedRows(MemorySegment rows, long rowBytes) {
        private static final ThreadLocal<MemorySegment[]> BUFFER = ThreadLocal.withInitial(() -> new MemorySegment[1]);

        static AlignedRows of(float[] x, int xOff, int m, int k) {
            long rowBytes = 4L * ((k + 15) / 16 * 16);
            MemorySegment[] held = BUFFER.get();
            if (held[0] == null || held[0].byteSize() < m * rowBytes) {
                held[0] = Arena.ofAuto().allocate(Math.max(m * rowBytes, 1L << 16), 64);
            }
            for (int i = 0; i < m; i++) MemorySegment.copy(x, xOff + i * k, held[0], ValueLayout.JAVA_FLOAT, i * rowBytes, k);
            return new AlignedRows(held[0], rowBytes);
        }
    }

    /** Output columns [j0, j1) (weight rows) for every token row. */
    private static void rows(float[] x, int xOff, AlignedRows xs, Matrix w, int m, int j0, int j1, float[] c, int cOff, boolean accumulate) {
        int n = w.rows(), k = w.cols();
        int body = k - k % L;
        float[] block = null;   // only for the rows widened through readRow: bf16 tiles read the weights in place
        float[] lanes = new float[m * GROUP * L];   // token row i, weight row jj: lanes[(i*GROUP + jj)*L ..]
        float[] tail = new float[GROUP * L];
        SegmentMatrix.Bf16 bf16 = w instanceof SegmentMatrix.Bf16 b ? b : null;
        // the bf16 4 x 4 tiles' outputs, summed in registers when there is no tail (body == k)
        float[] tileSums = bf16 != null && SUMS_IN_REGISTERS && body == k ? new float[m * GROUP] : null;
        for (int j = j0; j < j1; j += GROUP) {
            int nj = Math.min(GROUP, j1 - j);
            int summed = 0;   // token rows whose outputs are in tileSums
            if (bf16 == null || nj < GROUP) {
                Arrays.fill(lanes, 0f);   // the chains below continue from the lanes; the bf16 tiles write them whole
                if (block == null) block = new float[GROUP * CHUNK];
            } else {
                int i = 0;
                for (; i + 4 <= m; i += 4) {
                    bf16Tile4x4(xs.rows(), i * xs.rowBytes(), xs.rowBytes(), bf16, j, body, lanes, i * GROUP * L, tileSums, i * GROUP);
                }
                if (tileSums != null) summed = i;
                for (; i < m; i++) bf16Tile1x4(xs.rows(), i * xs.rowBytes(), bf16, j, body, lanes, i * GROUP * L);
            }
            for (int p0 = 0; p0 < body && (bf16 == null || nj < GROUP); p0 += CHUNK) {
                int len = Math.min(CHUNK, body - p0);
                for (int jj = 0; jj < nj; jj++) w.readRow(j + jj, p0, len, block, jj * CHUNK);
                int i = 0;
                if (nj == GROUP) {
                    for (; i + 4 <= m; i += 4) tile4x4(x, xOff + i * k + p0, k, block, len, lanes, i * GROUP * L);
                    for (; i < m; i++) tile1x4(x, xOff + i * k + p0, block, len, lanes, i * GROUP * L);
                } else {   // the last rows of a range that is not a multiple of four
                    for (; i < m; i++) {
                        for (int jj = 0; jj < nj; jj++) chain(x, xOff + i * k + p0, block, jj * CHUNK, len, lanes, (i * GROUP + jj) * L);
                    }
                }
            }
            for (int jj = 0; jj < nj; jj++) if (body < k) w.readRow(j + jj, body, k - body, tail, jj * L);
            for (int i = 0; i < m; i++) {
                int xi = xOff + i * k;
                for (int jj = 0; jj < nj; jj++) {
                    float s = i < summed ? tileSums[i * GROUP + jj] : finish(lanes, (i * GROUP + jj) * L, x, xi + body, tail, jj * L, k - body);
                    int at = cOff + i * n + j + jj;
                    c[at] = accumulate ? c[at] + s : s;
                }
            }
        }
    }

    /**
     * Four token rows (x rows xi + {0,1,2,3}·ldx) against the block's four weight rows over len
     * columns: 16 chains continued from lanes[at ..], 8 loads for 16 FMAs. Keep it this shape: 16
     * accumulators, 4 weight vectors and a token vector fit the 32 AVX-512 registers.
     */
    private static void tile4x4(float[] x, int xi, int ldx, float[] block, int len, float[] lanes, int at) {
        FloatVector s00 = FloatVector.fromArray(F, lanes, at), s01 = FloatVector.fromArray(F, lanes, at + L);
        FloatVector s02 = FloatVector.fromArray(F, lanes, at + 2 * L), s03 = FloatVector.fromArray(F, lanes, at + 3 * L);
        FloatVector s10 = FloatVector.fromArray(F, lanes, at + 4 * L), s11 = FloatVector.fromArray(F, lanes, at + 5 * L);
        FloatVector s12 = FloatVector.fromArray(F, lanes, at + 6 * L), s13 = FloatVector.fromArray(F, lanes, at + 7 * L);
        FloatVector s20 = FloatVector.fromArray(F, lanes, at + 8 * L), s21 = FloatVector.fromArray(F, lanes, at + 9 * L);
        FloatVector s22 = FloatVector.fromArray(F, lanes, at + 10 * L), s23 = FloatVector.fromArray(F, lanes, at + 11 * L);
        FloatVector s30 = FloatVector.fromArray(F, lanes, at + 12 * L), s31 = FloatVector.fromArray(F, lanes, at + 13 * L);
        FloatVector s32 = FloatVector.fromArray(F, lanes, at + 14 * L), s33 = FloatVector.fromArray(F, lanes, at + 15 * L);
        for (int p = 0; p < len; p += L) {
            FloatVector w0 = FloatVector.fromArray(F, block, p);
            FloatVector w1 = FloatVector.fromArray(F, block, CHUNK + p);
            FloatVector w2 = FloatVector.fromArray(F, block, 2 * CHUNK + p);
            FloatVector w3 = FloatVector.fromArray(F, block, 3 * CHUNK + p);
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s00 = xv.fma(w0, s00); s01 = xv.fma(w1, s01); s02 = xv.fma(w2, s02); s03 = xv.fma(w3, s03);
            xv = FloatVector.fromArray(F, x, xi + ldx + p);
            s10 = xv.fma(w0, s10); s11 = xv.fma(w1, s11); s12 = xv.fma(w2, s12); s13 = xv.fma(w3, s13);
            xv = FloatVector.fromArray(F, x, xi + 2 * ldx + p);
            s20 = xv.fma(w0, s20); s21 = xv.fma(w1, s21); s22 = xv.fma(w2, s22); s23 = xv.fma(w3, s23);
            xv = FloatVector.fromArray(F, x, xi + 3 * ldx + p);
            s30 = xv.fma(w0, s30); s31 = xv.fma(w1, s31); s32 = xv.fma(w2, s32); s33 = xv.fma(w3, s33);
        }
        s00.intoArray(lanes, at); s01.intoArray(lanes, at + L); s02.intoArray(lanes, at + 2 * L); s03.intoArray(lanes, at + 3 * L);
        s10.intoArray(lanes, at + 4 * L); s11.intoArray(lanes, at + 5 * L); s12.intoArray(lanes, at + 6 * L); s13.intoArray(lanes, at + 7 * L);
        s20.intoArray(lanes, at + 8 * L); s21.intoArray(lanes, at + 9 * L); s22.intoArray(lanes, at + 10 * L); s23.intoArray(lanes, at + 11 * L);
        s30.intoArray(lanes, at + 12 * L); s31.intoArray(lanes, at + 13 * L); s32.intoArray(lanes, at + 14 * L); s33.intoArray(lanes, at + 15 * L);
    }

    /**
     * bf16 (the dtype of published checkpoints) skips the block: tile4x4 with each weight vector read
     * straight from the weights and widened in registers, over all of [0, body), so the weights' loads
     * interleave with the multiplications, and the token rows read from their {@link AlignedRows}.
     * Same chains, same order, same bits.
     *
     * <p>Each step also reads a word from each of two cache lines of the next four weight rows (their
     * 8·k bytes are two lines per step of 16 columns), as a prefetch ({@link ReadAhead}); the second
     * tile of a group re-reads lines already in the cache. `jtune bench decode-step --rows 8`, before
     * and after alternating, six pairs in two sittings: the 8-row step 109.7-119.1 ms (median 114.1)
     * → 104.3-109.3 (106.4).
     *
     * <p>With {@code sums} (16-lane vectors, no tail) the tile also adds each output's lanes, in
     * registers, into sums[sumsAt + 4·i + jj]; without, it leaves the lanes in lanes[at ..] for
     * {@link #finish}.
     */
    private static void bf16Tile4x4(MemorySegment x, long xi, long ldx, SegmentMatrix.Bf16 w, int r, int body, float[] lanes, int at,
                                    float[] sums, int sumsAt) {
        MemorySegment seg = w.segment;
        long a0 = 2 * w.index(r, 0), rowBytes = 2L * w.cols(), a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
        MemorySegment next = seg.asSlice(2 * w.index(ReadAhead.nextFour(r, w.rows()), 0), GROUP * rowBytes);
        int ahead = 0;
        FloatVector z = FloatVector.zero(F);
        FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
        FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
        for (int p = 0; p < body; p += L) {
            long b = 2L * p;
            ahead ^= next.get(ValueLayout.JAVA_INT_UNALIGNED, GROUP * b) ^ next.get(ValueLayout.JAVA_INT_UNALIGNED, GROUP * b + ReadAhead.LINE);
            FloatVector w0 = SegmentMatrix.Bf16.widen(seg, a0 + b), w1 = SegmentMatrix.Bf16.widen(seg, a1 + b);
            FloatVector w2 = SegmentMatrix.Bf16.widen(seg, a2 + b), w3 = SegmentMatrix.Bf16.widen(seg, a3 + b);
            FloatVector xv = FloatVector.fromMemorySegment(F, x, xi + 4L * p, NATIVE);
            s00 = xv.fma(w0, s00); s01 = xv.fma(w1, s01); s02 = xv.fma(w2, s02); s03 = xv.fma(w3, s03);
            xv = FloatVector.fromMemorySegment(F, x, xi + ldx + 4L * p, NATIVE);
            s10 = xv.fma(w0, s10); s11 = xv.fma(w1, s11); s12 = xv.fma(w2, s12); s13 = xv.fma(w3, s13);
            xv = FloatVector.fromMemorySegment(F, x, xi + 2 * ldx + 4L * p, NATIVE);
            s20 = xv.fma(w0, s20); s21 = xv.fma(w1, s21); s22 = xv.fma(w2, s22); s23 = xv.fma(w3, s23);
            xv = FloatVector.fromMemorySegment(F, x, xi + 3 * ldx + 4L * p, NATIVE);
            s30 = xv.fma(w0, s30); s31 = xv.fma(w1, s31); s32 = xv.fma(w2, s32); s33 = xv.fma(w3, s33);
        }
        if (sums != null) {
            // The lane sums in registers: the 16 accumulators (vector o = 4·i + jj) transposed so that
            // vector l holds lane l of every output, then added in order of l from zero into
            // sums[sumsAt + o]. Each output gets 0 + lane 0 + lane 1 + ... + lane 15, finish's additions
            // in finish's order, so the same bits, but 16 outputs' chains run side by side and no lanes
            // go to memory and back. Written out here, as in KeyScores: as a method of its own it was
            // not inlined and its vectors were boxed (the 8-row products took ten times as long).
            IntVector v0 = s00.reinterpretAsInts(), v1 = s01.reinterpretAsInts(), v2 = s02.reinterpretAsInts(), v3 = s03.reinterpretAsInts();
            IntVector v4 = s10.reinterpretAsInts(), v5 = s11.reinterpretAsInts(), v6 = s12.reinterpretAsInts(), v7 = s13.reinterpretAsInts();
            IntVector v8 = s20.reinterpretAsInts(), v9 = s21.reinterpretAsInts(), v10 = s22.reinterpretAsInts(), v11 = s23.reinterpretAsInts();
            IntVector v12 = s30.reinterpretAsInts(), v13 = s31.reinterpretAsInts(), v14 = s32.reinterpretAsInts(), v15 = s33.reinterpretAsInts();
            IntVector b0 = KEEP8.selectFrom(v0, v8), b8 = TAKE8.selectFrom(v0, v8);
            IntVector b1 = KEEP8.selectFrom(v1, v9), b9 = TAKE8.selectFrom(v1, v9);
            IntVector b2 = KEEP8.selectFrom(v2, v10), b10 = TAKE8.selectFrom(v2, v10);
            IntVector b3 = KEEP8.selectFrom(v3, v11), b11 = TAKE8.selectFrom(v3, v11);
            IntVector b4 = KEEP8.selectFrom(v4, v12), b12 = TAKE8.selectFrom(v4, v12);
            IntVector b5 = KEEP8.selectFrom(v5, v13), b13 = TAKE8.selectFrom(v5, v13);
            IntVector b6 = KEEP8.selectFrom(v6, v14), b14 = TAKE8.selectFrom(v6, v14);
            IntVector b7 = KEEP8.selectFrom(v7, v15), b15 = TAKE8.selectFrom(v7, v15);
            IntVector c0 = KEEP4.selectFrom(b0, b4), c4 = TAKE4.selectFrom(b0, b4);
            IntVector c1 = KEEP4.selectFrom(b1, b5), c5 = TAKE4.selectFrom(b1, b5);
            IntVector c2 = KEEP4.selectFrom(b2, b6), c6 = TAKE4.selectFrom(b2, b6);
            IntVector c3 = KEEP4.selectFrom(b3, b7), c7 = TAKE4.selectFrom(b3, b7);
            IntVector c8 = KEEP4.selectFrom(b8, b12), c12 = TAKE4.selectFrom(b8, b12);
            IntVector c9 = KEEP4.selectFrom(b9, b13), c13 = TAKE4.selectFrom(b9, b13);
            IntVector c10 = KEEP4.selectFrom(b10, b14), c14 = TAKE4.selectFrom(b10, b14);
            IntVector c11 = KEEP4.selectFrom(b11, b15), c15 = TAKE4.selectFrom(b11, b15);
            IntVector d0 = KEEP2.selectFrom(c0, c2), d2 = TAKE2.selectFrom(c0, c2);
            IntVector d1 = KEEP2.selectFrom(c1, c3), d3 = TAKE2.selectFrom(c1, c3);
            IntVector d4 = KEEP2.selectFrom(c4, c6), d6 = TAKE2.selectFrom(c4, c6);
            IntVector d5 = KEEP2.selectFrom(c5, c7), d7 = TAKE2.selectFrom(c5, c7);
            IntVector d8 = KEEP2.selectFrom(c8, c10), d10 = TAKE2.selectFrom(c8, c10);
            IntVector d9 = KEEP2.selectFrom(c9, c11), d11 = TAKE2.selectFrom(c9, c11);
            IntVector d12 = KEEP2.selectFrom(c12, c14), d14 = TAKE2.selectFrom(c12, c14);
            IntVector d13 = KEEP2.selectFrom(c13, c15), d15 = TAKE2.selectFrom(c13, c15);
            IntVector e0 = KEEP1.selectFrom(d0, d1), e1 = TAKE1.selectFrom(d0, d1);
            IntVector e2 = KEEP1.selectFrom(d2, d3), e3 = TAKE1.selectFrom(d2, d3);
            IntVector e4 = KEEP1.selectFrom(d4, d5), e5 = TAKE1.selectFrom(d4, d5);
            IntVector e6 = KEEP1.selectFrom(d6, d7), e7 = TAKE1.selectFrom(d6, d7);
            IntVector e8 = KEEP1.selectFrom(d8, d9), e9 = TAKE1.selectFrom(d8, d9);
            IntVector e10 = KEEP1.selectFrom(d10, d11), e11 = TAKE1.selectFrom(d10, d11);
            IntVector e12 = KEEP1.selectFrom(d12, d13), e13 = TAKE1.selectFrom(d12, d13);
            IntVector e14 = KEEP1.selectFrom(d14, d15), e15 = TAKE1.selectFrom(d14, d15);
            FloatVector sum = FloatVector.zero(F).add(e0.reinterpretAsFloats()).add(e1.reinterpretAsFloats()).add(e2.reinterpretAsFloats())
                    .add(e3.reinterpretAsFloats()).add(e4.reinterpretAsFloats()).add(e5.reinterpretAsFloats()).add(e6.reinterpretAsFloats())
                    .add(e7.reinterpretAsFloats()).add(e8.reinterpretAsFloats()).add(e9.reinterpretAsFloats()).add(e10.reinterpretAsFloats())
                    .add(e11.reinterpretAsFloats()).add(e12.reinterpretAsFloats()).add(e13.reinterpretAsFloats()).add(e14.reinterpretAsFloats())
                    .add(e15.reinterpretAsFloats());
            sum.intoArray(sums, sumsAt);
        } else {
            s00.intoArray(lanes, at); s01.intoArray(lanes, at + L); s02.intoArray(lanes, at + 2 * L); s03.intoArray(lanes, at + 3 * L);
            s10.intoArray(lanes, at + 4 * L); s11.intoArray(lanes, at + 5 * L); s12.intoArray(lanes, at + 6 * L); s13.intoArray(lanes, at + 7 * L);
            s20.intoArray(lanes, at + 8 * L); s21.intoArray(lanes, at + 9 * L); s22.intoArray(lanes, at + 10 * L); s23.intoArray(lanes, at + 11 * L);
            s30.intoArray(lanes, at + 12 * L); s31.intoArray(lanes, at + 13 * L); s32.intoArray(lanes, at + 14 * L); s33.intoArray(lanes, at + 15 * L);
        }
        ReadAhead.keep(ahead);
    }

    /** One token row against four bf16 weight rows widened in registers (the rows left over from 4 x 4 tiles). */
    private static void bf16Tile1x4(MemorySegment x, long xi, SegmentMatrix.Bf16 w, int r, int body, float[] lanes, int at) {
        MemorySegment seg = w.segment;
        long a0 = 2 * w.index(r, 0), rowBytes = 2L * w.cols(), a1 = a0 + rowBytes, a2 = a1 + rowBytes, a3 = a2 + rowBytes;
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < body; p += L) {
            long b = 2L * p;
            FloatVector xv = FloatVector.fromMemorySegment(F, x, xi + 4L * p, NATIVE);
            s0 = xv.fma(SegmentMatrix.Bf16.widen(seg, a0 + b), s0);
            s1 = xv.fma(SegmentMatrix.Bf16.widen(seg, a1 + b), s1);
            s2 = xv.fma(SegmentMatrix.Bf16.widen(seg, a2 + b), s2);
            s3 = xv.fma(SegmentMatrix.Bf16.widen(seg, a3 + b), s3);
        }
        s0.intoArray(lanes, at); s1.intoArray(lanes, at + L); s2.intoArray(lanes, at + 2 * L); s3.intoArray(lanes, at + 3 * L);
    }

    /** One token row against the block's four weight rows: four independent chains. */
    private static void tile1x4(float[] x, int xi, float[] block, int len, float[] lanes, int at) {
        FloatVector s0 = FloatVector.fromArray(F, lanes, at), s1 = FloatVector.fromArray(F, lanes, at + L);
        FloatVector s2 = FloatVector.fromArray(F, lanes, at + 2 * L), s3 = FloatVector.fromArray(F, lanes, at + 3 * L);
        for (int p = 0; p < len; p += L) {
            FloatVector xv = FloatVector.fromArray(F, x, xi + p);
            s0 = xv.fma(FloatVector.fromArray(F, block, p), s0);
            s1 = xv.fma(FloatVector.fromArray(F, block, CHUNK + p), s1);
            s2 = xv.fma(FloatVector.fromArray(F, block, 2 * CHUNK + p), s2);
            s3 = xv.fma(FloatVector.fromArray(F, block, 3 * CHUNK + p), s3);
        }
        s0.intoArray(lanes, at); s1.intoArray(lanes, at + L); s2.intoArray(lanes, at + 2 * L); s3.intoArray(lanes, at + 3 * L);
    }

    /** One token row against one weight row of the block: a single chain. */
    private static void chain(float[] x, int xi, float[] block, int bi, int len, float[] lanes, int at) {
        FloatVector s = FloatVector.fromArray(F, lanes, at);
        for (int p = 0; p < len; p += L) s = FloatVector.fromArray(F, x, xi + p).fma(FloatVector.fromArray(F, block, bi + p), s);
        s.intoArray(lanes, at);
    }

    /**
     * Folds the last k % L products into the first lanes (lane q gets element q of the tail, one
     * fma, as a masked vector step would), then adds the lanes left to right: Gemv's and DotGemm's finish.
     */
    private static float finish(float[] lanes, int at, float[] x, int xi, float[] tail, int ti, int tailLen) {
        for (int q = 0; q < tailLen; q++) lanes[at + q] = Math.fma(x[xi + q], tail[ti + q], lanes[at + q]);
        float s = 0;
        for (int l = 0; l < L; l++) s += lanes[at + l];
        return s;
    }
}
