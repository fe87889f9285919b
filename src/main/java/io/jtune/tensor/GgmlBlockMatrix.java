package io.jtune.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight kept in one of llama.cpp's block-quantized formats ({@link GgmlBlockFormat}: Q4_0, Q4_1,
 * Q4_K, Q5_K, Q6_K) exactly as a GGUF file stores it (usually the mapped file itself): each row is
 * cols / blockSize blocks, rows one after another. The GEMM's packing widens a row run by decoding
 * the blocks it touches, so the weight stays in its 4-6 bits per element in memory.
 */
public final class GgmlBlockMatrix extends Matrix {
    private final GgmlBlockFormat format;
    private final MemorySegment blocks;
    private final long rowBytes;

    private GgmlBlockMatrix(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        super(rows, cols);
        this.format = format;
        this.rowBytes = format.rowBytes(cols);
        if (blocks.byteSize() != rows * rowBytes) {
            throw new IllegalArgumentException("segment has " + blocks.byteSize() + " bytes, a " + rows + " x " + cols + " "
                    + format + " matrix takes " + rows * rowBytes);
        }
        this.blocks = blocks;
    }

    /** A view of GGUF tensor data of this format: rows × cols/blockSize blocks. */
    public static GgmlBlockMatrix view(GgmlBlockFormat format, MemorySegment blocks, int rows, int cols) {
        return new GgmlBlockMatrix(format, blocks, rows, cols);
    }

    public GgmlBlockFormat format() {
        return format;
    }

    @Override
    public void readRow(int r, int c0, int len, float[] dst, int dstOff) {
        int bs = format.blockSize();
        int end = c0 + len;
        float[] block = new float[bs];
        long rowAt = r * rowBytes;
        int c = c0, o = dstOff;
        while (c < end) {
            int b = c / bs, inBlock = c - b * bs;
            int n = Math.min(bs - inBlock, end - c);
            if (inBlock == 0 && n == bs) {
                decodeInto(rowAt + (long) b * format.blockBytes(), dst, o, block);
            } else {
                format.decode(blocks, rowAt + (long) b * format.blockBytes(), block);
                System.arraycopy(block, inBlock, dst, o, n);
            }
            c += n;
            o += n;
        }
    }

    private void decodeInto(long at, float[] dst, int o, float[] scratch) {
        format.decode(blocks, at, scratch);
        System.arraycopy(scratch, 0, dst, o, scratch.length);
    }
}
