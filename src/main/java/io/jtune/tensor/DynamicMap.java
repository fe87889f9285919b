package io.jtune.tensor;

/**
 * bitsandbytes' signed 8-bit dynamic data type (create_dynamic_map(signed=True)), which its double
 * quantization stores the 4-bit formats' block absmax in: 256 ascending values in [-1, 1], dense near
 * zero (a decimal exponent from 10^-6 to 1 and a shrinking linear fraction).
 *
 * <p>The values are built as bitsandbytes builds them: for exponent i = 0..6, the means of
 * neighbouring points of linspace(0.1, 1, 2^i + 1) in fp32, each times 10^(i-6) in fp32, with both
 * signs; plus 0 and 1. Elements are rounded to the nearest value (fp32 midpoints, an exact midpoint
 * to the lower value), as bitsandbytes' blockwise quantization does.
 */
public final class DynamicMap {
    /** The 256 values, ascending (bitsandbytes' nested_quant_map). */
    private static final float[] VALUES = build();
    private static final float[] MIDPOINTS = midpoints(VALUES);

    private DynamicMap() {}

    public static float value(int q) {
        return VALUES[q];
    }

    public static float[] values() {
        return VALUES.clone();
    }

    /** The code of an element already scaled by its block's 1/absmax. */
    public static int quantize(float scaled) {
        return Bnb4BitType.countBelow(MIDPOINTS, scaled);
    }

    private static float[] build() {
        float[] v = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            float[] points = linspace(0.1f, 1f, (1 << i) + 1);
            float scale = (float) Math.pow(10, i - 6);
            for (int j = 0; j + 1 < points.length; j++) {
                float mean = (points[j] + points[j + 1]) / 2f;
                v[n++] = scale * mean;
                v[n++] = -scale * mean;
            }
        }
        v[n++] = 0f;
        v[n++] = 1f;
        if (n != 256) throw new IllegalStateException("dynamic map has " + n + " values");
        java.util.Arrays.sort(v);
        return v;
    }

    /** torch.linspace in fp32: start + step·i for the first half, end − step·(n−1−i) for the rest. */
    private static float[] linspace(float start, float end, int n) {
        float step = (end - start) / (n - 1);
        float[] out = new float[n];
        int halfway = n / 2;
        for (int i = 0; i < n; i++) out[i] = i < halfway ? start + step * i : end - step * (n - 1 - i);
        return out;
    }

    private static float[] midpoints(float[] values) {
        float[] m = new float[values.length - 1];
        for (int i = 0; i < m.length; i++) m[i] = (values[i] + values[i + 1]) / 2;
        return m;
    }
}
