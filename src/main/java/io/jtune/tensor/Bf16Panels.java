package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A bf16 weight rearranged for decoding: its rows in panels of {@link #L} (one float vector's
 * lanes), each panel stored depth-major, two columns to a 32-bit word. Word i of pair q of panel P
 * holds w[P·L + i][2q] in its low half and w[P·L + i][2q + 1] in its high half, so one vector load
 * brings two columns of L rows, and each becomes fp32 with one operation: {@code v << 16} (the low
 * halves) or {@code v & 0xFFFF0000} (the high halves).
 *
 * <p>Why: the row-major checkpoint layout makes batched decoding take dot products along rows
 * (vectors over k, summed across lanes at the end), which multiplies at less than half of what a
 * core can from the caches. Panels let a product broadcast each token's x[p] and multiply it with
 * L weight rows at once (outer products, as the blocked GEMM's micro-kernel does), reading the
 * weights as a few long sequential streams. {@link PanelGemv} runs on it; the blocked GEMM packs its
 * right panels from it with shifts instead of gathers.
 *
 * <p>The panel count is padded to a multiple of {@link #PANEL_GROUP} with zero rows, and an odd
 * column count gets a zero high half in its last pair, so kernels always read whole groups; the
 * padding is never part of a result. The same bytes as the checkpoint (plus that padding), in
 * memory owned by this object, for the life of the process.
 */
public final class Bf16Panels extends Matrix {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Weight rows per panel: the float lanes of a vector. */
    static final int L = F.length();
    /** Panels the one-token kernel reads side by side (more weight streams in flight); the panel count is a multiple of it. */
    static final int PANEL_GROUP = 4;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ORDER);

    final MemorySegment words;
    /** Column pairs per panel row: ceil(cols / 2). */
    final int pairs;
    final int panels;

    private Bf16Panels(MemorySegment words, int rows, int cols, int pairs, int panels) {
        super(rows, cols);
        this.words = words;
        this.pairs = pairs;
        this.panels = panels;
    }

    /** Whether {@link #of} takes this matrix: bf16 as stored, with more rows than a thin product's side. */
    public static boolean canArrange(Matrix m) {
        return m instanceof SegmentMatrix.Bf16 && m.rows() > Gemm.THIN;
    }

    /** The panels of a bf16 matrix (a checkpoint's tensor as stored), copied once. */
    public static Bf16Panels of(Matrix bf16) {
        if (!(bf16 instanceof SegmentMatrix.Bf16 source)) {
            throw new IllegalArgumentException("only a bf16 segment matrix can be arranged in panels, got " + bf16.getClass().getSimpleName());
        }
        int rows = source.rows(), cols = source.cols();
        int pairs = (cols + 1) / 2;
        int panels = ((rows + L - 1) / L + PANEL_GROUP - 1) / PANEL_GROUP * PANEL_GROUP;
        MemorySegment words = Arena.ofAuto().allocate(4L * panels * pairs * L, 64);
        Bf16Panels p = new Bf16Panels(words, rows, cols, pairs, panels);
        int parts = Math.max(1, Math.min(panels, 4 * Parallel.usableThreads()));
        Parallel.run(parts, part -> p.fill(source, (int) ((long) panels * part / parts), (int) ((long) panels * (part + 1) / parts)));
        SegmentMatrix.release(source);   // a memory-mapped checkpoint's pages, read for good (reading again faults them back in)
        return p;
    }

    /**
     * Writes panels [p0, p1): a panel's rows copied as words into an array in bulk, then each pair's
     * L words gathered across the rows (one vector store a pair); rows past the matrix are zero.
     */
    private void fill(SegmentMatrix.Bf16 source, int p0, int p1) {
        MemorySegment bits = source.segment;
        int rows = rows(), cols = cols(), evenCols = cols & ~1;
        int[] panelRows = new int[L * pairs];
        int[] acrossRows = new int[L];
        for (int i = 0; i < L; i++) acrossRows[i] = i * pairs;
        for (int panel = p0; panel < p1; panel++) {
            for (int i = 0; i < L; i++) {
                int r = panel * L + i;
                if (r >= rows) {
                    java.util.Arrays.fill(panelRows, i * pairs, (i + 1) * pairs, 0);
                    continue;
                }
                long rowAt = 2L * r * cols;
                MemorySegment.copy(bits, WORD, rowAt, panelRows, i * pairs, evenCols / 2);
                if (evenCols < cols) panelRows[(i + 1) * pairs - 1] = bits.get(SegmentMatrix.SHORT_LE, rowAt + 2L * evenCols) & 0xFFFF;
            }
            for (int q = 0; q < pairs; q++) {
                IntVector.fromArray(I, panelRows, q, acrossRows, 0).intoMemorySegment(words, wordAt(panel, q, 0), ORDER);
            }
        }
    }

    /** Byte offset of word i of pair q of panel P. */
    long wordAt(int panel, int pair, int i) {
        return 4L * (((long) panel * pairs + pair) * L + i);
    }

    /** Byte offset where panel P starts (its pair 0). */
    long panelAt(int panel) {
        return 4L * (long) panel * pairs * L;
    }

    /** Bytes from one panel's start to the next's. */
    long panelBytes() {
        return 4L * pairs * L;
    }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        int panel = r / L, i = r % L;
        for (int j = 0; j < len; j++) {
            int c = c0 + j;
            int word = words.get(WORD, wordAt(panel, c >> 1, i));
            dst[dstOff + j] = Float.intBitsToFloat((c & 1) == 0 ? word << 16 : word & 0xFFFF0000);
        }
    }

    /**
     * Packs depth [p0, p0 + kc) of rows [s0, s0 + 2L) as the blocked GEMM's right micro-panel,
     * {@code dst[off + pp·2L + ss]}: two panels, each pair's word vector widened twice (an odd p0
     * starts with the high half of its pair, an odd end takes the low half of the last). False (pack
     * another way) unless s0 starts a panel and both panels lie within the padded rows.
     */
    boolean packTwoPanels(int p0, int kc, int s0, float[] dst, int off) {
        if (s0 % L != 0 || s0 + 2 * L > panels * L) return false;
        long a = wordAt(s0 / L, p0 >> 1, 0), b = wordAt(s0 / L + 1, p0 >> 1, 0);
        int pp = 0, d = off;
        if ((p0 & 1) == 1 && kc > 0) {
            high(IntVector.fromMemorySegment(I, words, a, ORDER)).intoArray(dst, d);
            high(IntVector.fromMemorySegment(I, words, b, ORDER)).intoArray(dst, d + L);
            pp = 1;
            d += 2 * L;
            a += 4L * L;
            b += 4L * L;
        }
        for (; pp + 2 <= kc; pp += 2, a += 4L * L, b += 4L * L, d += 4 * L) {
            IntVector va = IntVector.fromMemorySegment(I, words, a, ORDER), vb = IntVector.fromMemorySegment(I, words, b, ORDER);
            low(va).intoArray(dst, d);
            low(vb).intoArray(dst, d + L);
            high(va).intoArray(dst, d + 2 * L);
            high(vb).intoArray(dst, d + 3 * L);
        }
        if (pp < kc) {
            low(IntVector.fromMemorySegment(I, words, a, ORDER)).intoArray(dst, d);
            low(IntVector.fromMemorySegment(I, words, b, ORDER)).intoArray(dst, d + L);
        }
        return true;
    }

    /** The even columns of a pair's words as fp32 (bf16 is fp32's top half). */
    static FloatVector low(IntVector words) {
        return words.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** The odd columns of a pair's words as fp32. */
    static FloatVector high(IntVector words) {
        return words.and(0xFFFF0000).reinterpretAsFloats();
    }
}
