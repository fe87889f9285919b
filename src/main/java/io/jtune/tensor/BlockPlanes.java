package io.jtune.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * GGUF blocks that are an fp16 scale followed by code bytes (Q8_0: 32 codes, Q4_0: 16 bytes of
 * nibbles) split at load into two planes off the heap: the codes of block i (row r's block b is
 * i = r·blocksPerRow + b) at i·codeBytes of one, aligned so that a vector load never straddles two
 * cache lines, and its scale as an fp32 at index i of the other. Still the same format: the fp32
 * scale is the fp16 one's value exactly (a NaN stays a NaN), so the weights decode to the same
 * floats, and {@link #copyBlock} gives the GGUF bytes back, bit for bit.
 *
 * <p>Why: the decode GEMV's fused loops are bound by vector instructions, and converting each
 * block's fp16 scale and broadcasting it took about four of them per block and row (of 8 to 12);
 * a stored fp32 is broadcast by the load itself. The planes take 2 bytes a block more than GGUF.
 */
final class BlockPlanes {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat SCALE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt SCALE_BITS = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment codes;
    private final MemorySegment scales;
    private final int codeBytes;
    private final int blocksPerRow;

    private BlockPlanes(MemorySegment codes, MemorySegment scales, int codeBytes, int blocksPerRow) {
        this.codes = codes;
        this.scales = scales;
        this.codeBytes = codeBytes;
        this.blocksPerRow = blocksPerRow;
    }

    /** Splits rows × blocksPerRow GGUF blocks of 2 + codeBytes bytes each. */
    static BlockPlanes split(MemorySegment blocks, int rows, int blocksPerRow, int codeBytes) {
        long count = (long) rows * blocksPerRow, blockBytes = 2 + codeBytes;
        MemorySegment codes = Arena.ofAuto().allocate(count * codeBytes, 64);
        MemorySegment scales = Arena.ofAuto().allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            scales.setAtIndex(SCALE_BITS, i, scaleBits(blocks.get(SHORT_LE, i * blockBytes)));
            MemorySegment.copy(blocks, i * blockBytes + 2, codes, i * codeBytes, codeBytes);
        }
        return new BlockPlanes(codes, scales, codeBytes, blocksPerRow);
    }

    /** Block index of row r's block b. */
    long block(int r, int b) {
        return (long) r * blocksPerRow + b;
    }

    float scale(long block) {
        return scales.getAtIndex(SCALE, block);
    }

    /** Where block's codes start in {@link #codes()}. */
    long codesAt(long block) {
        return block * codeBytes;
    }

    MemorySegment codes() {
        return codes;
    }

    /** Row r's codes alone: a fused loop over slices has its bounds checked once per row. */
    MemorySegment rowCodes(int r) {
        long bytes = (long) blocksPerRow * codeBytes;
        return codes.asSlice(r * bytes, bytes);
    }

    /** The codes of the four rows a fused loop over rows r .. r+3 reads ahead into ({@link ReadAhead#nextFour}). */
    MemorySegment codesAhead(int r) {
        long bytes = (long) blocksPerRow * codeBytes, rows = codes.byteSize() / bytes;
        return codes.asSlice(ReadAhead.nextFour(r, (int) rows) * bytes, Math.min(4, rows) * bytes);
    }

    /** Row r's scales alone, fp32, block b at index b. */
    MemorySegment rowScales(int r) {
        long bytes = (long) blocksPerRow * Float.BYTES;
        return scales.asSlice(r * bytes, bytes);
    }

    /** Block {@code block} as GGUF stores it (fp16 scale, then the codes) into dst[at ..]. */
    void copyBlock(long block, MemorySegment dst, long at) {
        dst.set(SHORT_LE, at, f16(scales.getAtIndex(SCALE_BITS, block)));
        MemorySegment.copy(codes, codesAt(block), dst, at + 2, codeBytes);
    }

    /**
     * fp16 scale bits as the fp32 bits of the same value. A NaN keeps its 10 payload bits at the top
     * of fp32's significand, unquieted (Java's conversion would set the quiet bit), so {@link #f16}
     * gives every one of the 65536 bit patterns back.
     */
    static int scaleBits(short h) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0) return (h & 0x8000) << 16 | 0x7F800000 | (h & 0x3FF) << 13;
        return Float.floatToRawIntBits(Float.float16ToFloat(h));
    }

    /** The fp16 bits {@link #scaleBits} came from. */
    static short f16(int bits) {
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x7FFFFF) != 0) {
            return (short) (bits >>> 16 & 0x8000 | 0x7C00 | bits >>> 13 & 0x3FF);
        }
        return Float.floatToFloat16(Float.intBitsToFloat(bits));
    }
}
