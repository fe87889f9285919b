package io.jtune.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gemma 2's logit soft-capping, y = cap·tanh(x / cap): smooth, odd, and bounded by ±cap. It is applied
 * to attention scores (attn_logit_softcapping, after the 1/√d-style scaling) and to the LM head's
 * logits (final_logit_softcapping). Its derivative is written in terms of the output, so backward
 * needs only what forward produced:
 * <pre>
 *   dy/dx = 1 − tanh²(x / cap) = 1 − (y / cap)²
 * </pre>
 * tanh is {@link Exp#tanh}, so results do not depend on the JIT tier or on vector lanes.
 */
public final class SoftCap {
    private static final VectorSpecies<Float> S = VectorMath.S;

    private SoftCap() {}

    /** cap·tanh(x / cap) for one value. */
    public static float apply(float x, float cap) {
        return cap * Exp.tanh(x / cap);
    }

    /** x[o..o+n) = cap·tanh(x / cap) in place. */
    public static void forward(float[] x, int o, int n, float cap) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += S.length()) {
            Exp.tanh(FloatVector.fromArray(S, x, o + i).div(cap)).mul(cap).intoArray(x, o + i);
        }
        for (; i < n; i++) x[o + i] = cap * Exp.tanh(x[o + i] / cap);
    }

    /** dy/dx at an output y: 1 − (y / cap)²; 0 for a masked (−∞) score, which has no gradient. */
    public static float derivative(float y, float cap) {
        if (y == Float.NEGATIVE_INFINITY) return 0f;
        float t = y / cap;
        return 1f - t * t;
    }

    /** g[o+i] ·= dy/dx at y[yo+i]: turns the gradient at the capped values into the gradient at the inputs. */
    public static void backward(float[] y, int yo, float[] g, int o, int n, float cap) {
        for (int i = 0; i < n; i++) g[o + i] *= derivative(y[yo + i], cap);
    }
}
