package io.jtune.tensor;

import static io.jtune.tensor.MicroKernel.MR;
import static io.jtune.tensor.MicroKernel.NR;

/**
 * The cache-blocked GEMM driver (GotoBLAS loop order) around {@link MicroKernel}:
 * D[rows x cols] (+)= Σ_p A(r, p)·B(p, s) over {@code depth}, where the operands are reached only
 * through their packing functions, so one driver serves every product in {@link Gemm} and every
 * storage type of B. D lies in C either as is ({@code c[r*ldc + s]}) or transposed
 * ({@code c[s*ldc + r]}); choosing the orientation lets the expensive operand (frozen weights)
 * be packed with plain row copies instead of transposes.
 *
 * <p>Threads split D's rows or columns into contiguous ranges, never the depth.
 */
final class BlockedGemm {
    /** Depth of one block: a right micro-panel (KC x NR floats) must stay in L1 while the left panels pass by. */
    static final int KC = Integer.getInteger("jtune.gemm.kc", 256);
    /** Rows of a left block (a multiple of MR): MC x KC floats stay in L2. */
    static final int MC = Integer.getInteger("jtune.gemm.mc", 128) / MR * MR;
    /** Columns of a right block (a multiple of NR): KC x NC floats, in L2 next to the left block. */
    static final int NC = Integer.getInteger("jtune.gemm.nc", 1024) / NR * NR;

    /** Packs rows [r0, r0+rows) x depth [p0, p0+kc) of A as {@code dst[off + pp*MR + rr]}; rows past {@code rows} up to MR are zero. */
    interface LeftPanels {
        void pack(int r0, int rows, int p0, int kc, float[] dst, int off);
    }

    /** Packs depth [p0, p0+kc) x columns [s0, s0+cols) of B as {@code dst[off + pp*NR + ss]}; columns past {@code cols} up to NR are zero. */
    interface RightPanels {
        void pack(int p0, int kc, int s0, int cols, float[] dst, int off);
    }

    /** Which dimension of D the threads divide. */
    enum Split { ROWS, COLS }

    private BlockedGemm() {}

    private static final class Scratch {
        final float[] left = new float[MC * KC];
        final float[] right = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static void run(LeftPanels a, RightPanels b, int rows, int cols, int depth,
                    float[] c, int cOff, int ldc, boolean transposedC, boolean accumulate, Split preferred) {
        if (rows == 0 || cols == 0) return;
        int rowTiles = (rows + MR - 1) / MR, colTiles = (cols + NR - 1) / NR;
        int threads = Parallel.usableThreads();
        // Take the preferred split unless it would leave threads idle and the other one would not.
        Split split = preferred;
        int preferredTiles = preferred == Split.ROWS ? rowTiles : colTiles;
        int otherTiles = preferred == Split.ROWS ? colTiles : rowTiles;
        if (preferredTiles < 2 * threads && otherTiles > preferredTiles) split = preferred == Split.ROWS ? Split.COLS : Split.ROWS;
        int tiles = split == Split.ROWS ? rowTiles : colTiles;
        int parts = (int) Math.min(threads, Math.max(1, Math.min(tiles, (long) rows * cols * depth / 65536)));
        Split chosen = split;
        Parallel.run(parts, part -> {
            int t0 = (int) ((long) tiles * part / parts), t1 = (int) ((long) tiles * (part + 1) / parts);
            if (chosen == Split.ROWS) {
                block(a, b, t0 * MR, Math.min(rows, t1 * MR), 0, cols, depth, c, cOff, ldc, transposedC, accumulate);
            } else {
                block(a, b, 0, rows, t0 * NR, Math.min(cols, t1 * NR), depth, c, cOff, ldc, transposedC, accumulate);
            }
        });
    }

    /**
     * One thread's share, D[r0..r1) x [s0..s1), in the GotoBLAS order: per depth block, a right
     * block (KC x NC) is packed once, then left blocks (MC x KC) one after the other; the
     * micro-kernel runs each right micro-panel (in L1) against every left micro-panel of the block.
     */
    private static void block(LeftPanels a, RightPanels b, int r0, int r1, int s0, int s1, int depth,
                              float[] c, int cOff, int ldc, boolean transposedC, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        float[] left = scratch.left, right = scratch.right, tile = scratch.tile;
        // Equal depth blocks (896 = 4 x 224, not 3 x 256 + 128): a short last block costs a full C load and store.
        int blockDepth = (depth + (depth + KC - 1) / KC - 1) / ((depth + KC - 1) / KC);
        for (int pc = 0; pc < depth; pc += blockDepth) {
            int kc = Math.min(blockDepth, depth - pc);
            boolean load = pc > 0 || accumulate;
            for (int sc = s0; sc < s1; sc += NC) {
                int nc = Math.min(NC, s1 - sc);
                for (int j = 0; j < nc; j += NR) b.pack(pc, kc, sc + j, Math.min(NR, nc - j), right, j * kc);
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    for (int i = 0; i < mc; i += MR) a.pack(ic + i, Math.min(MR, mc - i), pc, kc, left, i * kc);
                    for (int j = 0; j < nc; j += NR) {
                        int nr = Math.min(NR, nc - j);
                        int s = sc + j;
                        for (int i = 0; i < mc; i += MR) {
                            int mr = Math.min(MR, mc - i);
                            int r = ic + i;
                            if (!transposedC && mr == MR && nr == NR) {
                                MicroKernel.tile(left, i * kc, kc, right, j * kc, c, cOff + r * ldc + s, ldc, load);
                            } else {
                                readTile(c, cOff, ldc, transposedC, r, mr, s, nr, load, tile);
                                MicroKernel.tile(left, i * kc, kc, right, j * kc, tile, 0, NR, true);
                                writeTile(c, cOff, ldc, transposedC, r, mr, s, nr, tile);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Edge and transposed tiles go through a small MR x NR buffer. */
    private static void readTile(float[] c, int cOff, int ldc, boolean transposedC, int r, int mr, int s, int nr,
                                 boolean load, float[] tile) {
        java.util.Arrays.fill(tile, 0f);
        if (!load) return;
        if (transposedC) {
            for (int ss = 0; ss < nr; ss++) {
                int ci = cOff + (s + ss) * ldc + r;
                for (int rr = 0; rr < mr; rr++) tile[rr * NR + ss] = c[ci + rr];
            }
        } else {
            for (int rr = 0; rr < mr; rr++) System.arraycopy(c, cOff + (r + rr) * ldc + s, tile, rr * NR, nr);
        }
    }

    private static void writeTile(float[] c, int cOff, int ldc, boolean transposedC, int r, int mr, int s, int nr,
                                  float[] tile) {
        if (transposedC) {
            for (int ss = 0; ss < nr; ss++) {
                int ci = cOff + (s + ss) * ldc + r;
                for (int rr = 0; rr < mr; rr++) c[ci + rr] = tile[rr * NR + ss];
            }
        } else {
            for (int rr = 0; rr < mr; rr++) System.arraycopy(tile, rr * NR, c, cOff + (r + rr) * ldc + s, nr);
        }
    }
}
