package io.jtune.nn;

/**
 * ALiBi (BLOOM): instead of rotating q and k, attention adds slope_h · (j − i) to the score of query i
 * and key j in head h, a penalty growing linearly with the distance to the key. transformers builds
 * the bias as slope_h · (position of key j), which differs from this by slope_h · i, the same for every
 * key of a query row, so the softmax is the same; the relative form keeps the added values small.
 * The bias does not depend on q or k: backward is attention's own, with the biased scores recomputed.
 *
 * <p>Slopes for n heads, as transformers' build_alibi_tensor: with p the largest power of two ≤ n,
 * slope_h = 2^(−8(h+1)/p) for h < p, and for the remaining heads the odd powers of 2^(−4/p):
 * 2^(−4/p·1), 2^(−4/p·3), ... (the slopes of 2p heads that the first p did not take).
 */
public final class Alibi {
    private Alibi() {}

    public static float[] slopes(int heads) {
        int closest = Integer.highestOneBit(heads);
        double base = Math.pow(2, -8.0 / closest);
        float[] out = new float[heads];
        for (int h = 0; h < closest; h++) out[h] = (float) Math.pow(base, h + 1);
        double extraBase = Math.pow(2, -4.0 / closest);
        for (int e = 0; closest + e < heads; e++) out[closest + e] = (float) Math.pow(extraBase, 2 * e + 1);
        return out;
    }
}
