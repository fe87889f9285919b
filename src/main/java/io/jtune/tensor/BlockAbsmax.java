package io.jtune.tensor;

import java.util.Arrays;

/**
 * The fp32 absmax of each block of a 4-bit matrix, stored as bitsandbytes stores it: plain, or
 * double-quantized. Double quantization subtracts the mean of the absmax vector (the offset),
 * quantizes what is left in blocks of 256 with the {@link DynamicMap} (each block scaled by its own
 * 1/absmax), and keeps the 8-bit codes, one fp32 absmax per 256 blocks and the offset. The absmax
 * then reads back as code value × block absmax + offset, in fp32.
 */
public abstract sealed class BlockAbsmax {
    /** Blocks of absmax values per second-level block in double quantization. */
    public static final int NESTED_BLOCK = 256;

    /** The absmax of block b, as the dequantization uses it. */
    public abstract float get(int b);

    public abstract int blocks();

    /** Bytes this takes (for the memory estimate). */
    public abstract long bytes();

    /** Stored in fp32. */
    public static BlockAbsmax plain(float[] absmax) {
        return new Plain(absmax);
    }

    /** Double-quantized: codes into {@code map}, one absmax per 256 codes, and the offset. */
    public static BlockAbsmax nested(byte[] codes, float[] nestedAbsmax, float[] map, float offset) {
        return new Nested(codes, nestedAbsmax, map, offset);
    }

    /** Double-quantizes {@code absmax} as bitsandbytes' compress_statistics does. */
    public static Nested doubleQuantize(float[] absmax) {
        // The offset is the fp32-rounded mean (summed in fp64; PyTorch's fp32 mean may differ in the last bit).
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = absmax.length == 0 ? 0f : (float) (sum / absmax.length);
        int n = absmax.length, blocks = (n + NESTED_BLOCK - 1) / NESTED_BLOCK;
        byte[] codes = new byte[n];
        float[] nested = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * NESTED_BLOCK, to = Math.min(n, from + NESTED_BLOCK);
            float max = 0f;
            for (int i = from; i < to; i++) max = Math.max(max, Math.abs(absmax[i] - offset));
            nested[b] = max;
            float inverse = 1f / Math.max(max, 1e-38f);
            for (int i = from; i < to; i++) codes[i] = (byte) DynamicMap.quantize((absmax[i] - offset) * inverse);
        }
        return new Nested(codes, nested, DynamicMap.values(), offset);
    }

    static final class Plain extends BlockAbsmax {
        private final float[] absmax;

        Plain(float[] absmax) { this.absmax = absmax; }

        @Override public float get(int b) { return absmax[b]; }
        @Override public int blocks() { return absmax.length; }
        @Override public long bytes() { return 4L * absmax.length; }

        /** The stored values (bitsandbytes' absmax tensor). */
        public float[] values() { return absmax.clone(); }
    }

    public static final class Nested extends BlockAbsmax {
        private final byte[] codes;
        private final float[] nestedAbsmax;
        private final float[] map;
        private final float offset;

        Nested(byte[] codes, float[] nestedAbsmax, float[] map, float offset) {
            if (map.length != 256) throw new IllegalArgumentException("a nested quant map has 256 values, not " + map.length);
            if (nestedAbsmax.length != (codes.length + NESTED_BLOCK - 1) / NESTED_BLOCK) {
                throw new IllegalArgumentException(codes.length + " absmax codes need " + (codes.length + NESTED_BLOCK - 1) / NESTED_BLOCK
                        + " nested absmax values, not " + nestedAbsmax.length);
            }
            this.codes = codes;
            this.nestedAbsmax = nestedAbsmax;
            this.map = map;
            this.offset = offset;
        }

        @Override
        public float get(int b) {
            return map[codes[b] & 0xFF] * nestedAbsmax[b / NESTED_BLOCK] + offset;
        }

        @Override public int blocks() { return codes.length; }
        @Override public long bytes() { return codes.length + 4L * nestedAbsmax.length + 4L * map.length + 4; }

        /** The 8-bit codes (bitsandbytes' absmax tensor when nested). */
        public byte[] codes() { return codes.clone(); }

        /** One fp32 absmax per 256 codes (nested_absmax). */
        public float[] nestedAbsmax() { return nestedAbsmax.clone(); }

        /** The mean subtracted before quantizing (nested_offset). */
        public float offset() { return offset; }

        @Override
        public String toString() {
            return "Nested[" + codes.length + " codes, offset " + offset + ", " + Arrays.toString(Arrays.copyOf(nestedAbsmax, Math.min(3, nestedAbsmax.length))) + "...]";
        }
    }
}
