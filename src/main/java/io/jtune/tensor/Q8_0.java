package io.jtune.tensor;

/**
 * ggml's Q8_0 block format: 32 values become an fp16 scale d (2 bytes, little-endian) and 32
 * signed bytes q, with x ≈ d·q. Quantization follows ggml's reference quantize_row_q8_0_ref (and
 * gguf-py's numpy twin) bit for bit: d = amax / 127 in fp32, id = 1/d (0 when d is 0),
 * q = roundf(x·id) with halves rounded away from zero, and d stored rounded to fp16; the
 * quants use the fp32 d, not the rounded one. Dequantization is fp16(d)·q in fp32, the value
 * {@link Q8_0Matrix} widens to.
 */
public final class Q8_0 {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;

    private Q8_0() {}

    /** Bytes that n values (a multiple of {@link #BLOCK}) take. */
    public static long bytes(long n) {
        return n / BLOCK * BLOCK_BYTES;
    }

    /** Quantizes x[xOff .. xOff+n) (n a multiple of 32) into out[outOff .. outOff + bytes(n)). */
    public static void quantizeRow(float[] x, int xOff, int n, byte[] out, int outOff) {
        requireWholeBlocks(n);
        for (int b = 0; b < n / BLOCK; b++) quantizeBlock(x, xOff + b * BLOCK, out, outOff + b * BLOCK_BYTES);
    }

    /** Dequantizes n values (a multiple of 32) from in[inOff ..] into x[xOff .. xOff+n). */
    public static void dequantizeRow(byte[] in, int inOff, int n, float[] x, int xOff) {
        requireWholeBlocks(n);
        for (int b = 0; b < n / BLOCK; b++) dequantizeBlock(in, inOff + b * BLOCK_BYTES, x, xOff + b * BLOCK);
    }

    /** Quantizes x[xOff .. xOff+32) into out[outOff .. outOff+34). */
    public static void quantizeBlock(float[] x, int xOff, byte[] out, int outOff) {
        float amax = 0f;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[xOff + j]));
        float d = amax / 127f;
        float id = d != 0f ? 1.0f / d : 0f;
        short dBits = Numbers.floatToF16(d);
        out[outOff] = (byte) dBits;
        out[outOff + 1] = (byte) (dBits >>> 8);
        for (int j = 0; j < BLOCK; j++) {
            out[outOff + 2 + j] = (byte) roundHalfAwayFromZero(x[xOff + j] * id);
        }
    }

    /** Dequantizes one block: x = fp16(d) · q. */
    public static void dequantizeBlock(byte[] in, int inOff, float[] x, int xOff) {
        short dBits = (short) ((in[inOff] & 0xff) | (in[inOff + 1] & 0xff) << 8);
        float d = Numbers.f16ToFloat(dBits);
        for (int j = 0; j < BLOCK; j++) x[xOff + j] = d * in[inOff + 2 + j];
    }

    static void requireWholeBlocks(long n) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q8_0 rows are whole blocks of " + BLOCK + " values, got " + n);
    }

    /**
     * C's roundf. Math.round rounds halves towards +infinity (-2.5 → -2), and adding 0.5 in float
     * is wrong just below one half (0.49999997f + 0.5f rounds up to 1). A float has 24 significant
     * bits, so in double |v| + 0.5 never rounds across an integer: truncating it is roundf(|v|).
     * (Inputs here are at most 127 in magnitude.)
     */
    static int roundHalfAwayFromZero(float v) {
        int q = (int) (Math.abs((double) v) + 0.5);
        return v < 0 ? -q : q;
    }
}
