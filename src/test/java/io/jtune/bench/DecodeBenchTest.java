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
        ModelConfig small = ModelConfig.builder().modelType("qwen2")
                .vocabSize(300).hiddenSize(32).intermediateSize(48).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(256)
                .rope(RopeConfig.plain(1e6))
                .tieWordEmbeddings(true).attentionBias(true)
                .eosTokenIds(List.of(1)).dtype(DType.BF16)
                .build();
        DecodeBench.Figures f = DecodeBench.measure(small, 16, 8, 3);
        assertEquals(3, f.prefillSeconds().length);
        assertTrue(f.prefillTokensPerSecond() > 0 && f.decodeTokensPerSecond() > 0, f.toString());
        assertEquals(16 / median(f.prefillSeconds()), f.prefillTokensPerSecond(), 1e-6 * f.prefillTokensPerSecond());
        DecodeBench.Figures nf4 = DecodeBench.measure(small, 16, 8, 1, FrozenWeights.ofQuantizationBit(4, "nf4", true));
        assertEquals("nf4", nf4.weights());
        assertTrue(nf4.decodeTokensPerSecond() > 0, nf4.toString());
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
