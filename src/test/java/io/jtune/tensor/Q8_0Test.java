package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Q8_0Test {

    @Test
    void knownBlockHasExactBytes() {
        float[] x = new float[32];
        x[0] = 127f;          // amax = 127 so d = 1, id = 1: the quants are roundf(x)
        x[1] = -2.5f;         // halves round away from zero: -3
        x[2] = 2.5f;          // 3
        x[3] = -0.5f;         // -1
        x[4] = 0.5f;          // 1
        x[5] = 1.4999999f;    // 1
        x[6] = -127f;         // -127
        x[7] = 0.49999997f;   // 0 (adding 0.5 in float would give 1)
        byte[] out = new byte[34];
        Q8_0.quantizeBlock(x, 0, out, 0);
        byte[] expected = new byte[34];
        expected[0] = 0x00;   // fp16 1.0 = 0x3C00, little-endian
        expected[1] = 0x3C;
        byte[] q = {127, -3, 3, -1, 1, 1, -127, 0};
        System.arraycopy(q, 0, expected, 2, q.length);
        assertArrayEquals(expected, out);
    }

    @Test
    void zeroBlockHasZeroScale() {
        byte[] out = new byte[34];
        java.util.Arrays.fill(out, (byte) 9);
        Q8_0.quantizeBlock(new float[32], 0, out, 0);
        assertArrayEquals(new byte[34], out);
    }

    @Test
    void errorIsWithinHalfAStepPlusScaleRounding() {
        Random rnd = new Random(3);
        float[] x = new float[32 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
        byte[] q = new byte[34 * 64];
        float[] back = new float[x.length];
        for (int b = 0; b < 64; b++) {
            Q8_0.quantizeBlock(x, 32 * b, q, 34 * b);
            Q8_0.dequantizeBlock(q, 34 * b, back, 32 * b);
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float d = amax / 127f;
            float d16 = Numbers.f16ToFloat(Numbers.floatToF16(d));
            // |x - d16·q| <= |x - d·q| + |q|·|d - d16| <= d/2 + 127·|d - d16| (+ float slack)
            float bound = d / 2 + 127 * Math.abs(d - d16) + 1e-6f * amax;
            for (int j = 0; j < 32; j++) {
                float err = Math.abs(x[32 * b + j] - back[32 * b + j]);
                assertTrue(err <= bound, "block " + b + " element " + j + ": error " + err + " > " + bound);
            }
        }
    }

    @Test
    void roundfSemantics() {
        assertEquals(-3, Q8_0.roundHalfAwayFromZero(-2.5f));
        assertEquals(3, Q8_0.roundHalfAwayFromZero(2.5f));
        assertEquals(2, Q8_0.roundHalfAwayFromZero(1.5f));
        assertEquals(0, Q8_0.roundHalfAwayFromZero(-0.49999997f));
        assertEquals(-127, Q8_0.roundHalfAwayFromZero(-127f));
    }
}
