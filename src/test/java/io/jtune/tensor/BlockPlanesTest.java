package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Q4_0 and Q8_0 are split at load into a code plane and an fp32 scale plane ({@link BlockPlanes}):
 * the matrices still hold exactly the GGUF bytes they were given (every one of the 65536 fp16 scale
 * patterns, NaNs included, comes back bit for bit), and their rows widen to what the GGUF block
 * decoders give for the original bytes.
 */
class BlockPlanesTest {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 65536 blocks, block i with fp16 scale bits i: 2048 rows of 32 blocks. */
    private static final int ROWS = 2048, BLOCKS_PER_ROW = 32, COLS = BLOCKS_PER_ROW * 32;

    @Test
    void q4_0KeepsItsGgufBytesAndWidensAsTheBlockDecoder() {
        byte[] gguf = everyScale(Q4_0.BLOCK_BYTES, 1);
        GgmlBlockMatrix m = GgmlBlockMatrix.view(GgmlBlockFormat.Q4_0, MemorySegment.ofArray(gguf.clone()), ROWS, COLS);
        MemorySegment back = MemorySegment.ofArray(new byte[gguf.length]);
        long rowBytes = (long) BLOCKS_PER_ROW * Q4_0.BLOCK_BYTES;
        for (int r = 0; r < ROWS; r++) m.copyBlocks(r, back, r * rowBytes);
        assertArrayEquals(gguf, back.toArray(ValueLayout.JAVA_BYTE));

        MemorySegment original = MemorySegment.ofArray(gguf);
        float[] row = new float[COLS], expected = new float[COLS], block = new float[32];
        for (int r = 0; r < ROWS; r++) {
            m.readRow(r, 0, COLS, row, 0);
            for (int b = 0; b < BLOCKS_PER_ROW; b++) {
                GgmlBlockFormat.Q4_0.decode(original, r * rowBytes + (long) b * Q4_0.BLOCK_BYTES, block);
                System.arraycopy(block, 0, expected, b * 32, 32);
            }
            assertArrayEquals(expected, row, "row " + r);
        }
    }

    @Test
    void q8_0KeepsItsGgufBytesAndWidensAsTheBlockDecoder() {
        byte[] gguf = everyScale(Q8_0.BLOCK_BYTES, 2);
        Q8_0Matrix m = Q8_0Matrix.view(MemorySegment.ofArray(gguf.clone()), ROWS, COLS);
        assertArrayEquals(gguf, m.blocks().toArray(ValueLayout.JAVA_BYTE));

        int rowBytes = BLOCKS_PER_ROW * Q8_0.BLOCK_BYTES;
        float[] row = new float[COLS], expected = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            m.readRow(r, 0, COLS, row, 0);
            Q8_0.dequantizeRow(gguf, r * rowBytes, COLS, expected, 0);
            assertArrayEquals(expected, row, "row " + r);
        }
    }

    /** GGUF bytes of ROWS x COLS blocks of blockBytes: block i's scale has the fp16 bits i, its codes are random. */
    private static byte[] everyScale(int blockBytes, long seed) {
        byte[] bytes = new byte[ROWS * BLOCKS_PER_ROW * blockBytes];
        new SplittableRandom(seed).nextBytes(bytes);
        MemorySegment s = MemorySegment.ofArray(bytes);
        for (int i = 0; i < ROWS * BLOCKS_PER_ROW; i++) s.set(SHORT_LE, (long) i * blockBytes, (short) i);
        return bytes;
    }
}
