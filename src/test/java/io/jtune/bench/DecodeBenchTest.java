package io.jtune.bench;

import io.jtune.nn.RopeConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeBenchTest {
    @Test
    void measuresPrefillAndDecodeOnASmallConfig() {
        ModelConfig small = new ModelConfig("qwen2", 300, 32, 48, 2, 4, 2, 8, 256, 1e-6, RopeConfig.plain(1e6),
                true, true, false, false, false, null, "silu", null, List.of(1), null, DType.BF16);
        DecodeBench.Figures f = DecodeBench.measure(small, 16, 8, 3);
        assertEquals(3, f.prefillSeconds().length);
        assertTrue(f.prefillTokensPerSecond() > 0 && f.decodeTokensPerSecond() > 0, f.toString());
        assertEquals(16 / median(f.prefillSeconds()), f.prefillTokensPerSecond(), 1e-6 * f.prefillTokensPerSecond());
        ModelConfig q = DecodeBench.qwen25HalfB();
        assertEquals(151936, q.vocabSize());
        assertEquals(64, q.headDim());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
