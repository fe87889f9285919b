package io.jtune.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ExpTest {
    @Test
    void accurateAndVectorEqualsScalarBitForBit() {
        int lanes = VectorMath.S.length();
        float[] x = new float[lanes], out = new float[lanes];
        double maxUlps = 0;
        for (float start = -90f; start < 88f; start += 0.37f * lanes) {
            for (int i = 0; i < lanes; i++) x[i] = start + 0.37f * i;
            Exp.exp(FloatVector.fromArray(VectorMath.S, x, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) {
                float scalar = Exp.exp(x[i]);
                assertEquals(Float.floatToIntBits(scalar), Float.floatToIntBits(out[i]), "x = " + x[i]);
                if (x[i] < -87f) {
                    assertEquals(0f, scalar);
                } else if (x[i] <= 88f) {
                    double exact = Math.exp(x[i]);
                    maxUlps = Math.max(maxUlps, Math.abs(scalar - exact) / Math.ulp((float) exact));
                }
            }
        }
        assertEquals(0, maxUlps, 2.0, "max error in ulps");
    }
}
