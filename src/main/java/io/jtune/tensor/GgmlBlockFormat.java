package io.jtune.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * llama.cpp's block-quantized weight formats that jtune reads from GGUF files (besides Q8_0, which
 * has its own vectorized {@link Q8_0Matrix}), with the block layouts and dequantization formulas of
 * ggml-quants.c. A block of {@link #blockSize()} consecutive elements of a row takes
 * {@link #blockBytes()} bytes; fp16 values are little-endian, and every product is taken in fp32 in
 * ggml's order, so a block decodes to the same floats as llama.cpp's dequantize_row_*.
 */
public enum GgmlBlockFormat {
    /** 32 elements: fp16 d, 16 bytes of 4-bit codes (low nibbles are elements 0-15, high 16-31); x = (q - 8)·d. */
    Q4_0(32, 18) {
        @Override
        void decode(MemorySegment s, long at, float[] y) {
            float d = f16(s, at);
            for (int j = 0; j < 16; j++) {
                int q = u8(s, at + 2 + j);
                y[j] = ((q & 0xF) - 8) * d;
                y[j + 16] = ((q >> 4) - 8) * d;
            }
        }
    },
    /** 32 elements: fp16 d, fp16 m, 16 bytes of 4-bit codes; x = q·d + m. */
    Q4_1(32, 20) {
        @Override
        void decode(MemorySegment s, long at, float[] y) {
            float d = f16(s, at), m = f16(s, at + 2);
            for (int j = 0; j < 16; j++) {
                int q = u8(s, at + 4 + j);
                y[j] = (q & 0xF) * d + m;
                y[j + 16] = (q >> 4) * d + m;
            }
        }
    },
    /**
     * 256 elements in 8 sub-blocks of 32: fp16 d, fp16 dmin, 12 bytes holding eight 6-bit scales and
     * eight 6-bit mins, 128 bytes of 4-bit codes (each 32 bytes serve two sub-blocks, low then high
     * nibbles); x = d·scale·q − dmin·min.
     */
    Q4_K(256, 144) {
        @Override
        void decode(MemorySegment s, long at, float[] y) {
            float d = f16(s, at), dmin = f16(s, at + 2);
            long scales = at + 4, qs = at + 16;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, qs += 32) {
                float d1 = d * scale(s, scales, is), m1 = dmin * min(s, scales, is);
                float d2 = d * scale(s, scales, is + 1), m2 = dmin * min(s, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    int q = u8(s, qs + l);
                    y[j + l] = d1 * (q & 0xF) - m1;
                    y[j + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    },
    /**
     * 256 elements: as Q4_K, plus 32 bytes of high bits (bit 2k and 2k+1 of byte l are the fifth
     * bit of element l of sub-blocks 2k and 2k+1) before the low nibbles; x = d·scale·q − dmin·min.
     */
    Q5_K(256, 176) {
        @Override
        void decode(MemorySegment s, long at, float[] y) {
            float d = f16(s, at), dmin = f16(s, at + 2);
            long scales = at + 4, qh = at + 16, ql = at + 48;
            int u1 = 1, u2 = 2;
            for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
                float d1 = d * scale(s, scales, is), m1 = dmin * min(s, scales, is);
                float d2 = d * scale(s, scales, is + 1), m2 = dmin * min(s, scales, is + 1);
                for (int l = 0; l < 32; l++) {
                    int q = u8(s, ql + l), h = u8(s, qh + l);
                    y[j + l] = d1 * ((q & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
                    y[j + 32 + l] = d2 * ((q >> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
                }
            }
        }
    },
    /**
     * 256 elements in 16 sub-blocks of 16: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 int8
     * scales, fp16 d (last); x = d·scale·(q − 32) with q the 6-bit code.
     */
    Q6_K(256, 210) {
        @Override
        void decode(MemorySegment s, long at, float[] y) {
            float d = f16(s, at + 208);
            long ql = at, qh = at + 128, sc = at + 192;
            for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int h = u8(s, qh + l), lo = u8(s, ql + l), hi = u8(s, ql + l + 32);
                    int q1 = ((lo & 0xF) | ((h & 3) << 4)) - 32;
                    int q2 = ((hi & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((lo >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((hi >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    y[n + l] = d * i8(s, sc + is) * q1;
                    y[n + l + 32] = d * i8(s, sc + is + 2) * q2;
                    y[n + l + 64] = d * i8(s, sc + is + 4) * q3;
                    y[n + l + 96] = d * i8(s, sc + is + 6) * q4;
                }
            }
        }
    };

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int blockSize;
    private final int blockBytes;

    GgmlBlockFormat(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Elements per block. */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    /** Bytes of a row of {@code cols} elements (a whole number of blocks). */
    public long rowBytes(int cols) {
        if (cols % blockSize != 0) throw new IllegalArgumentException(name() + " rows hold a multiple of " + blockSize + " elements, got " + cols);
        return (long) cols / blockSize * blockBytes;
    }

    /** Decodes the block at byte {@code at} of {@code s} into y[0 .. blockSize). */
    abstract void decode(MemorySegment s, long at, float[] y);

    /** Decodes one block from its bytes (for tests and tools). */
    public float[] decodeBlock(byte[] block) {
        if (block.length != blockBytes) throw new IllegalArgumentException(name() + " blocks are " + blockBytes + " bytes, got " + block.length);
        float[] y = new float[blockSize];
        decode(MemorySegment.ofArray(block), 0, y);
        return y;
    }

    static float f16(MemorySegment s, long at) {
        return Numbers.f16ToFloat(s.get(SHORT_LE, at));
    }

    static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    /** ggml's get_scale_min_k4, the scale half: 6 bits packed into the 12 scale bytes. */
    static int scale(MemorySegment s, long scales, int j) {
        return j < 4 ? u8(s, scales + j) & 63 : (u8(s, scales + j + 4) & 0xF) | ((u8(s, scales + j - 4) >> 6) << 4);
    }

    /** ggml's get_scale_min_k4, the min half. */
    static int min(MemorySegment s, long scales, int j) {
        return j < 4 ? u8(s, scales + j + 4) & 63 : (u8(s, scales + j + 4) >> 4) | ((u8(s, scales + j) >> 6) << 4);
    }
}
