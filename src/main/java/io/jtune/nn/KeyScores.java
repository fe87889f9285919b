package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Attention scores of one query head against a run of cached keys: {@code scores[j − first] =
 * (q · k_j)·scale} for j = first .. last, each bit-identical to {@link VectorMath#dot} times the
 * scale. That dot ends in a horizontal sum per key (four rotations and adds of one vector), which
 * cost more than its multiplications at decode-time head sizes; here sixteen keys' dot products run
 * side by side and their sixteen accumulators are summed together by a butterfly of two-vector
 * permutes, 30 permutes and 15 adds for 16 keys instead of 64 and 64. Every key's sum is still the
 * rotation tree's: lane i plus lane i+8, then +4, +2, +1, the same pairs added in the same order.
 *
 * <p>The fast path needs 16-lane vectors (AVX-512) and head sizes that are whole vectors; other
 * shapes, and the keys left after the last group of 16, go through VectorMath.dot itself.
 */
final class KeyScores {
    private static final int L = VectorMath.S.length();
    private static final boolean SIXTEEN_LANES = L == 16;
    // Round h (8, 4, 2, 1) sums pairs h apart: output lane l (group g = l / h, offset r = l % h)
    // takes segment g / 2 (2h lanes) of the first vector when g is even, of the second when odd,
    // and adds that segment's lanes r and h + r. selectFrom(a, b) indexes a as 0..15, b as 16..31.
    private static final IntVector LO8 = round(8, 0), HI8 = round(8, 1), LO4 = round(4, 0), HI4 = round(4, 1);
    private static final IntVector LO2 = round(2, 0), HI2 = round(2, 1), LO1 = round(1, 0), HI1 = round(1, 1);

    private KeyScores() {}

    private static IntVector round(int h, int upper) {
        int[] index = new int[16];
        for (int l = 0; l < 16; l++) {
            int g = l / h, r = l % h;
            index[l] = (g % 2) * 16 + (g / 2) * 2 * h + upper * h + r;
        }
        return IntVector.fromArray(IntVector.SPECIES_512, index, 0);
    }

    /**
     * scores[j − first] = dot(q[qo ..+headDim), k[j·kvWidth + ko ..+headDim))·scale for j in [first, last].
     */
    static void compute(float[] q, int qo, float[] k, int ko, int kvWidth, int first, int last, int headDim, float scale,
                        float[] scores) {
        int j = first;
        if (SIXTEEN_LANES && headDim % L == 0) {
            for (; j + 16 <= last + 1; j += 16) sixteen(q, qo, k, j * kvWidth + ko, kvWidth, headDim, scale, scores, j - first);
        }
        for (; j <= last; j++) scores[j - first] = VectorMath.dot(q, qo, k, j * kvWidth + ko, headDim) * scale;
    }

    /** Sixteen keys from k[at] on, kvWidth apart: 16 dot-product chains, then one butterfly sum. */
    private static void sixteen(float[] q, int qo, float[] k, int at, int kvWidth, int headDim, float scale, float[] scores, int so) {
        FloatVector a0 = FloatVector.zero(VectorMath.S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int c = 0; c < headDim; c += L) {
            FloatVector qv = FloatVector.fromArray(VectorMath.S, q, qo + c);
            int b = at + c;
            a0 = qv.fma(key(k, b), a0); a1 = qv.fma(key(k, b + kvWidth), a1);
            a2 = qv.fma(key(k, b + 2 * kvWidth), a2); a3 = qv.fma(key(k, b + 3 * kvWidth), a3);
            a4 = qv.fma(key(k, b + 4 * kvWidth), a4); a5 = qv.fma(key(k, b + 5 * kvWidth), a5);
            a6 = qv.fma(key(k, b + 6 * kvWidth), a6); a7 = qv.fma(key(k, b + 7 * kvWidth), a7);
            a8 = qv.fma(key(k, b + 8 * kvWidth), a8); a9 = qv.fma(key(k, b + 9 * kvWidth), a9);
            a10 = qv.fma(key(k, b + 10 * kvWidth), a10); a11 = qv.fma(key(k, b + 11 * kvWidth), a11);
            a12 = qv.fma(key(k, b + 12 * kvWidth), a12); a13 = qv.fma(key(k, b + 13 * kvWidth), a13);
            a14 = qv.fma(key(k, b + 14 * kvWidth), a14); a15 = qv.fma(key(k, b + 15 * kvWidth), a15);
        }
        // keys m and m+8 -> b_m (lanes 0-7: key m, 8-15: key m+8), then ever narrower segments, written
        // out rather than through a helper: C2 would not inline one into this long method, and a vector
        // passed to a method that is not inlined is boxed
        IntVector a0i = a0.reinterpretAsInts(), a8i = a8.reinterpretAsInts();
        FloatVector b0 = LO8.selectFrom(a0i, a8i).reinterpretAsFloats().add(HI8.selectFrom(a0i, a8i).reinterpretAsFloats());
        IntVector a1i = a1.reinterpretAsInts(), a9i = a9.reinterpretAsInts();
        FloatVector b1 = LO8.selectFrom(a1i, a9i).reinterpretAsFloats().add(HI8.selectFrom(a1i, a9i).reinterpretAsFloats());
        IntVector a2i = a2.reinterpretAsInts(), a10i = a10.reinterpretAsInts();
        FloatVector b2 = LO8.selectFrom(a2i, a10i).reinterpretAsFloats().add(HI8.selectFrom(a2i, a10i).reinterpretAsFloats());
        IntVector a3i = a3.reinterpretAsInts(), a11i = a11.reinterpretAsInts();
        FloatVector b3 = LO8.selectFrom(a3i, a11i).reinterpretAsFloats().add(HI8.selectFrom(a3i, a11i).reinterpretAsFloats());
        IntVector a4i = a4.reinterpretAsInts(), a12i = a12.reinterpretAsInts();
        FloatVector b4 = LO8.selectFrom(a4i, a12i).reinterpretAsFloats().add(HI8.selectFrom(a4i, a12i).reinterpretAsFloats());
        IntVector a5i = a5.reinterpretAsInts(), a13i = a13.reinterpretAsInts();
        FloatVector b5 = LO8.selectFrom(a5i, a13i).reinterpretAsFloats().add(HI8.selectFrom(a5i, a13i).reinterpretAsFloats());
        IntVector a6i = a6.reinterpretAsInts(), a14i = a14.reinterpretAsInts();
        FloatVector b6 = LO8.selectFrom(a6i, a14i).reinterpretAsFloats().add(HI8.selectFrom(a6i, a14i).reinterpretAsFloats());
        IntVector a7i = a7.reinterpretAsInts(), a15i = a15.reinterpretAsInts();
        FloatVector b7 = LO8.selectFrom(a7i, a15i).reinterpretAsFloats().add(HI8.selectFrom(a7i, a15i).reinterpretAsFloats());
        IntVector b0i = b0.reinterpretAsInts(), b4i = b4.reinterpretAsInts();
        FloatVector c0 = LO4.selectFrom(b0i, b4i).reinterpretAsFloats().add(HI4.selectFrom(b0i, b4i).reinterpretAsFloats());
        IntVector b1i = b1.reinterpretAsInts(), b5i = b5.reinterpretAsInts();
        FloatVector c1 = LO4.selectFrom(b1i, b5i).reinterpretAsFloats().add(HI4.selectFrom(b1i, b5i).reinterpretAsFloats());
        IntVector b2i = b2.reinterpretAsInts(), b6i = b6.reinterpretAsInts();
        FloatVector c2 = LO4.selectFrom(b2i, b6i).reinterpretAsFloats().add(HI4.selectFrom(b2i, b6i).reinterpretAsFloats());
        IntVector b3i = b3.reinterpretAsInts(), b7i = b7.reinterpretAsInts();
        FloatVector c3 = LO4.selectFrom(b3i, b7i).reinterpretAsFloats().add(HI4.selectFrom(b3i, b7i).reinterpretAsFloats());
        IntVector c0i = c0.reinterpretAsInts(), c2i = c2.reinterpretAsInts();
        FloatVector d0 = LO2.selectFrom(c0i, c2i).reinterpretAsFloats().add(HI2.selectFrom(c0i, c2i).reinterpretAsFloats());
        IntVector c1i = c1.reinterpretAsInts(), c3i = c3.reinterpretAsInts();
        FloatVector d1 = LO2.selectFrom(c1i, c3i).reinterpretAsFloats().add(HI2.selectFrom(c1i, c3i).reinterpretAsFloats());
        IntVector d0i = d0.reinterpretAsInts(), d1i = d1.reinterpretAsInts();
        FloatVector e = LO1.selectFrom(d0i, d1i).reinterpretAsFloats().add(HI1.selectFrom(d0i, d1i).reinterpretAsFloats());
        e.mul(scale).intoArray(scores, so);   // lane l: key l
    }

    private static FloatVector key(float[] k, int at) {
        return FloatVector.fromArray(VectorMath.S, k, at);
    }
}
