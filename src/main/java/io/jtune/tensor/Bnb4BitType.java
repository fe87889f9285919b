package io.jtune.tensor;

/**
 * The two 4-bit data types of bitsandbytes: each is 16 values in [-1, 1] that an element, scaled by
 * its block's 1/absmax, is rounded to. The values are bitsandbytes' own (its NF4 table, and FP4 as
 * get_4bit_type builds it: {0, 0.0625, 8, 12, 4, 6, 2, 3} divided by 12, the upper half negated).
 *
 * <p>Rounding is to the nearest value, comparing against the fp32 midpoints of neighbouring values;
 * an element exactly on a midpoint goes to the lower one. That is what bitsandbytes' CUDA kernel
 * does for NF4 (its decision tree's thresholds are these midpoints) and what its portable PyTorch
 * kernel does for both types. FP4 takes its sign bit from the element's sign first (so a small
 * negative element becomes the code of -0, as in the CUDA kernel) and then rounds the magnitude;
 * on an exact midpoint the smaller magnitude wins. The CUDA kernel's FP4 thresholds are decimal
 * constants a few ulps away from these midpoints; only elements within those few ulps can differ.
 */
public enum Bnb4BitType {
    NF4(new float[] {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f}),
    FP4(fp4Values());

    private final float[] values;
    /** NF4: fp32 midpoints of the sorted values. FP4: midpoints of the sorted non-negative magnitudes. */
    private final float[] midpoints;
    /** FP4: the code of each sorted magnitude. */
    private final int[] magnitudeCodes;

    Bnb4BitType(float[] values) {
        this.values = values;
        if (values[1] > 0) {   // FP4: codes 0..7 hold the magnitudes, not sorted
            int[] order = {0, 1, 6, 7, 4, 5, 2, 3};
            this.magnitudeCodes = order;
            this.midpoints = new float[7];
            for (int i = 0; i < 7; i++) midpoints[i] = (values[order[i]] + values[order[i + 1]]) / 2;
        } else {
            this.magnitudeCodes = null;
            this.midpoints = new float[15];
            for (int i = 0; i < 15; i++) midpoints[i] = (values[i] + values[i + 1]) / 2;
        }
    }

    private static float[] fp4Values() {
        float[] raw = {0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f};
        float[] v = new float[16];
        for (int i = 0; i < 8; i++) {
            v[i] = raw[i] / 12f;
            v[i + 8] = -(raw[i] / 12f);
        }
        return v;
    }

    /** bitsandbytes' name of the type: "nf4" or "fp4" (quant_type, bnb_4bit_quant_type). */
    public String bnbName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The type of a bitsandbytes name (nf4 or fp4), or null. */
    public static Bnb4BitType ofBnbName(String name) {
        for (Bnb4BitType t : values()) if (t.bnbName().equals(name)) return t;
        return null;
    }

    /** The value of code q (0..15). */
    public float value(int q) {
        return values[q];
    }

    /** A copy of the 16 values, in code order (bitsandbytes' quant_map). */
    public float[] quantMap() {
        return values.clone();
    }

    /** The code of an element already scaled by its block's 1/absmax. */
    public int quantize(float scaled) {
        if (magnitudeCodes == null) return countBelow(midpoints, scaled);
        int sign = scaled < 0 ? 8 : 0;
        return sign + magnitudeCodes[countBelow(midpoints, Math.abs(scaled))];
    }

    /** How many of the ascending bounds lie strictly below x (torch.bucketize's index). */
    static int countBelow(float[] bounds, float x) {
        int lo = 0, hi = bounds.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (bounds[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
