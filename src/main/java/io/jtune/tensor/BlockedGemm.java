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
    /** Depth of one kernel call: a right micro-panel (KC x NR floats) must stay in L1 while the left panels pass by. */
    static final int KC = Integer.getInteger("jtune.gemm.kc", 256);
    /** Most rows of a left block (a multiple of MR); fewer when the depth is long (the block must stay in L2). */
    static final int MC = Integer.getInteger("jtune.gemm.mc", 128) / MR * MR;
    /** Most columns of a right block (a multiple of NR); fewer when the depth is long. */
    static final int NC = Integer.getInteger("jtune.gemm.nc", 1024) / NR * NR;
    /** Most depth of one packed block pair: a left block (MC x DC) stays in L2, a right one (DC x NC) in L3. */
    static final int DC = Integer.getInteger("jtune.gemm.dc", 1024);

    /** Packs rows [r0, r0+rows) x depth [p0, p0+kc) of A as {@code dst[off + pp*MR + rr]}; rows past {@code rows} up to MR are zero. */
    interface LeftPanels {
        void pack(int r0, int rows, int p0, int kc, float[] dst, int off);
    }

    /** Packs depth [p0, p0+kc) x columns [s0, s0+cols) of B as {@code dst[off + pp*NR + ss]}; columns past {@code cols} up to NR are zero. */
    interface RightPanels {
        void pack(int p0, int kc, int s0, int cols, float[] dst, int off);

        /**
         * Packs a whole right block, columns [s0, s0+cols) as consecutive NR-wide panels of kc depth
         * ({@code dst[(ss/NR)*kc*NR + pp*NR + ss%NR]}). Sources whose rows are expensive to start
         * reading (a bf16 segment) override it to read each row once for all panels.
         */
        default void packBlock(int p0, int kc, int s0, int cols, float[] dst) {
            for (int j = 0; j < cols; j += NR) pack(p0, kc, s0 + j, Math.min(NR, cols - j), dst, j * kc);
        }
    }

    /** Which dimension of D the threads divide. */
    enum Split { ROWS, COLS }

    private BlockedGemm() {}

    /** Per-thread packing buffers, grown to the largest product seen. */
    private static final class Scratch {
        float[] left = new float[0];
        float[] right = new float[0];
        final float[] tile = new float[MR * NR];

        float[] left(int size) {
            if (left.length < size) left = new float[size];
            return left;
        }

        float[] right(int size) {
            if (right.length < size) right = new float[size];
            return right;
        }
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
     * One thread's share, D[r0..r1) x [s0..s1). Per depth block (up to DC), the thread's left rows
     * and each right block (DC x NC) are packed once; then, per left block of MC rows and for one
     * right micro-panel at a time, the depth block is walked in KC steps and each step runs against
     * every left micro-panel of the block. A KC x NR slice of the right panel stays in L1 while MC/MR kernel calls use it, and the
     * MC x NR strip of C those calls update stays in L1/L2 from one depth step to the next, instead
     * of coming back from memory KC floats of depth at a time (that alone cost a quarter of the speed).
     */
    private static void block(LeftPanels a, RightPanels b, int r0, int r1, int s0, int s1, int depth,
                              float[] c, int cOff, int ldc, boolean transposedC, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        // Equal depth blocks and steps (896 = 4 x 224, not 3 x 256 + 128): a short one costs a full C load and store.
        int blocks = (depth + DC - 1) / DC;
        int dcBlock = (depth + blocks - 1) / blocks;
        int paddedRows = (r1 - r0 + MR - 1) / MR * MR;
        float[] right = scratch.right(NC * dcBlock), left = scratch.left(paddedRows * dcBlock), tile = scratch.tile;
        for (int pd = 0; pd < depth; pd += dcBlock) {
            int dc = Math.min(dcBlock, depth - pd);
            int steps = (dc + KC - 1) / KC;
            int kcStep = (dc + steps - 1) / steps;
            // All of this thread's rows are packed once per depth block, not once per right block:
            // a wide product (lm_head: 75 right blocks a thread) repacked the same rows every time.
            for (int i = r0; i < r1; i += MR) a.pack(i, Math.min(MR, r1 - i), pd, dc, left, (i - r0) * dc);
            for (int sc = s0; sc < s1; sc += NC) {
                int nc = Math.min(NC, s1 - sc);
                b.packBlock(pd, dc, sc, nc, right);
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    int blockOff = (ic - r0) * dc;
                    for (int j = 0; j < nc; j += NR) {
                        int nr = Math.min(NR, nc - j);
                        int s = sc + j;
                        for (int pc = 0; pc < dc; pc += kcStep) {
                            int kc = Math.min(kcStep, dc - pc);
                            boolean load = pd + pc > 0 || accumulate;
                            int bOff = j * dc + pc * NR;
                            for (int i = 0; i < mc; i += MR) {
                                int mr = Math.min(MR, mc - i);
                                int r = ic + i;
                                int aOff = blockOff + i * dc + pc * MR;
                                if (!transposedC && mr == MR && nr == NR) {
                                    MicroKernel.tile(left, aOff, kc, right, bOff, c, cOff + r * ldc + s, ldc, load);
                                } else {
                                    readTile(c, cOff, ldc, transposedC, r, mr, s, nr, load, tile);
                                    MicroKernel.tile(left, aOff, kc, right, bOff, tile, 0, NR, true);
                                    writeTile(c, cOff, ldc, transposedC, r, mr, s, nr, tile);
                                }
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
