package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A weight kept in one of llama.cpp's block-quantized formats ({@link GgmlBlockFormat}: Q4_0, Q4_1,
 * Q4_K, Q5_K, Q6_K), each row cols / blockSize blocks, rows one after another, as a GGUF file stores
 * them (usually the mapped file itself). The GEMM's packing widens a row run by decoding the blocks
 * it touches, so the weight stays in its 4-6 bits per element in memory. Q4_0, the 4-bit format
 * llama.cpp's decode speed is usually quoted for, also has the decode GEMV's fused loop; for it its
 * blocks are repacked at load ({@link Q4_0Planes}: still Q4_0, the same bytes rearranged), as
 * llama.cpp repacks Q4_0 for its CPU kernels.
 */
public final class GgmlBlockMatrix extends Matrix {
    private final GgmlBlockFormat format;
    /** The GGUF bytes, for every format but Q4_0. */
    private final MemorySegment blocks;
    /** Q4_0's blocks, repacked for the fused loop (null for the other formats). */
    private final Q4_0Planes q4_0;
    private final long rowBytes;

    private GgmlBlockMatrix(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        super(rows, cols);
        this.format = format;
        this.rowBytes = format.rowBytes(cols);
        if (blocks.byteSize() != rows * rowBytes) {
            throw new IllegalArgumentException("segment has " + blocks.byteSize() + " bytes, a " + rows + " x " + cols + " "
                    + format + " matrix takes " + rows * rowBytes);
        }
        boolean repack = format == GgmlBlockFormat.Q4_0;
        this.q4_0 = repack ? Q4_0Planes.repack(blocks, rows, cols) : null;
        this.blocks = repack ? null : blocks;
    }

    /**
     * GGUF tensor data of this format: rows × cols/blockSize blocks. Q4_0 is copied into
     * {@link Q4_0Planes} (the same bytes, rearranged; {@link #copyBlocks} gives them back), the
     * other formats are read where they lie (usually the mapped file).
     */
    public static GgmlBlockMatrix view(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        return new GgmlBlockMatrix(format, blocks, rows, cols);
    }

    /**
     * Quantizes {@code source} (any storage type; cols a multiple of 32) into a new Q4_0 matrix with
     * ggml's reference quantizer.
     */
    public static GgmlBlockMatrix quantizeQ4_0(Matrix source) {
        int rows = source.rows(), cols = source.cols();
        int rowBytes = Math.toIntExact(GgmlBlockFormat.Q4_0.rowBytes(cols));
        MemorySegment blocks = Arena.ofAuto().allocate((long) rows * rowBytes, 64);
        float[] row = new float[cols];
        byte[] quantized = new byte[rowBytes];
        for (int r = 0; r < rows; r++) {
            source.readRow(r, 0, cols, row, 0);
            Q4_0.quantizeRow(row, 0, cols, quantized, 0);
            MemorySegment.copy(quantized, 0, blocks, ValueLayout.JAVA_BYTE, (long) r * rowBytes, rowBytes);
        }
        return new GgmlBlockMatrix(GgmlBlockFormat.Q4_0, blocks, rows, cols);
    }

    public GgmlBlockFormat format() {
        return format;
    }

    /** Row r's blocks as GGUF stores them into dst[at .. at + rowBytes). */
    public void copyBlocks(int r, MemorySegment dst, long at) {
        Objects.checkIndex(r, rows());
        if (q4_0 == null) {
            MemorySegment.copy(blocks, r * rowBytes, dst, at, rowBytes);
            return;
        }
        for (int b = 0; b < cols() / Q4_0.BLOCK; b++) q4_0.copyBlock(r, b, dst, at + (long) b * Q4_0.BLOCK_BYTES);
    }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        int bs = format.blockSize();
        int end = c0 + len;
        float[] block = new float[bs];
        int c = c0, o = dstOff;
        while (c < end) {
            int b = c / bs, inBlock = c - b * bs;
            int n = Math.min(bs - inBlock, end - c);
            if (inBlock == 0 && n == bs) {
                decodeBlock(r, b, dst, o, block);
            } else {
                decodeBlock(r, b, block, 0, block);
                System.arraycopy(block, inBlock, dst, o, n);
            }
            c += n;
            o += n;
        }
    }

    /** Block b of row r widened into dst[o .. o + blockSize) (scratch: a block's worth, may be dst). */
    private void decodeBlock(int r, int b, float[] dst, int o, float[] scratch) {
        if (q4_0 != null) {
            q4_0.decodeBlock(r, b, dst, o);
        } else {
            format.decode(blocks, r * rowBytes + (long) b * format.blockBytes(), scratch);
            if (scratch != dst) System.arraycopy(scratch, 0, dst, o, scratch.length);
        }
    }

    /** Q4_0's fused loop ({@link Q4_0Planes#dotRows4}); the other formats widen rows through {@link #readRow}. */
    @Override
    boolean dotRows4(float[] x, int xi, int r, float[] lanes) {
        if (q4_0 == null || !Q4_0Planes.vectorized()) return false;
        q4_0.dotRows4(x, xi, r, lanes);
        return true;
    }
}
