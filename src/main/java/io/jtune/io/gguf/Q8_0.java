package io.jtune.io.gguf;

import io.jtune.tensor.Numbers;

/**
 * ggml's Q8_0 block format: 32 values become an fp16 scale d (2 bytes, little-endian) and 32
 * signed bytes q, with x ≈ d·q. Quantization follows ggml's reference quantize_row_q8_0_ref (and
 * gguf-py's numpy twin) bit for bit: d = amax / 127 in fp32, id = 1/d (0 when d is 0),
 * q = roundf(x·id) with halves rounded away from zero, and d stored rounded to fp16; the
 * quants use the fp32 d, not the rounded one.
 */
public final class Q8_0 {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;

    private Q8_0() {}

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

    /**
     * C's roundf. Math.round rounds halves towards +infinity (-2.5 → -2) and adding 0.5 before
     * flooring is wrong just below one half (0.49999997f + 0.5f rounds up to 1 in float), so take
     * the exact fractional part instead.
     */
    static int roundHalfAwayFromZero(float v) {
        float a = Math.abs(v);
        float floor = (float) Math.floor(a);
        float rounded = (a - floor >= 0.5f) ? floor + 1f : floor;
        return (int) Math.copySign(rounded, v);
    }
}
