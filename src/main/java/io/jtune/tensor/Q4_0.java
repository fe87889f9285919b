package io.jtune.tensor;

/**
 * GGUF's Q4_0 block quantization, the encoding side ({@link GgmlBlockFormat#Q4_0} decodes): a block
 * of 32 elements is an fp16 scale d and 32 4-bit codes, two a byte (element j in the low nibble of
 * byte j, element j+16 in its high nibble), the element being (q - 8)·d.
 */
public final class Q4_0 {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 18;

    private Q4_0() {}

    /**
     * ggml's reference quantizer (quantize_row_q4_0_ref): per block, d = (the value of largest
     * magnitude, with its sign) / -8 and q = min(15, trunc(x/d + 8.5)); row[off .. off+n) (n a
     * multiple of 32) into out[outOff ..].
     */
    public static void quantizeRow(float[] row, int off, int n, byte[] out, int outOff) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q4_0 rows hold a multiple of 32 elements, got " + n);
        for (int b = 0; b < n / BLOCK; b++) {
            int x0 = off + b * BLOCK;
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = row[x0 + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            int at = outOff + b * BLOCK_BYTES;
            short h = Numbers.floatToF16(d);
            out[at] = (byte) h;
            out[at + 1] = (byte) (h >>> 8);
            for (int j = 0; j < 16; j++) {
                // ggml truncates to int8 before the min: (int8_t)(x*id + 8.5f)
                int q0 = Math.min(15, (int) (byte) (int) (row[x0 + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (byte) (int) (row[x0 + 16 + j] * id + 8.5f));
                out[at + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }
}
