package io.jtune.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.model.arch.ModelConfig;
import org.junit.jupiter.api.Test;

/** The FLOP count derived from the family's declaration equals the hand-written formula it replaced. */
class StepFlopsTest {
    /** The seven projections of a Llama-layout layer (four fused ones for Phi-3) written out by hand, as StepFlops once did. */
    private static double handWritten(ModelConfig c, int tokens, int rank) {
        double t = tokens;
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize();
        long[][] linears = switch (c.modelType()) {
            // Phi-3's fused qkv_proj and gate_up_proj: the same base GEMMs, one LoRA A each
            case "phi3" -> new long[][] {{h, q + 2 * kv}, {q, h}, {h, 2 * inter}, {inter, h}};
            // GPT-2's c_attn, attn.c_proj, c_fc, mlp.c_proj; BLOOM's query_key_value, dense, dense_h_to_4h, dense_4h_to_h
            case "gpt2", "bloom" -> new long[][] {{h, q + 2 * kv}, {q, h}, {h, inter}, {inter, h}};
            default -> new long[][] {{h, q}, {h, kv}, {h, kv}, {q, h}, {h, inter}, {h, inter}, {inter, h}};
        };
        double perLayerLinear = 0, perLayerLora = 0;
        for (long[] l : linears) {
            perLayerLinear += (double) l[0] * l[1];
            perLayerLora += (double) rank * (l[0] + l[1]);
        }
        double layers = c.numHiddenLayers();
        return 2 * 2 * t * (layers * perLayerLinear + (double) c.vocabSize() * h)
                + 3 * 2 * 2 * t * t * q * layers
                + 3 * 2 * t * layers * perLayerLora;
    }

    @Test
    void sameAsTheHandWrittenFormulaForEveryBenchmarkModel() {
        for (String name : LoraStepSetup.architectures()) {
            ModelConfig c = LoraStepSetup.architecture(name);
            if (c.moe() != null) continue;   // active experts: MoeSizesTest
            for (int tokens : new int[] {1, 512, 4096}) {
                assertEquals(handWritten(c, tokens, 8), StepFlops.loraStep(c, tokens, 8), name + " at " + tokens);
            }
        }
    }

    @Test
    void glm4CountsItsFusedGateUpOnce() {
        ModelConfig glm4 = ModelConfig.builder().modelType("glm4").vocabSize(40).hiddenSize(64).intermediateSize(96)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).headDim(16).partialRotaryFactor(0.5)
                .attentionBias(true).build();
        double t = 128, rank = 4, h = 64, q = 64, kv = 32, inter = 96;
        double linear = h * q + 2 * h * kv + q * h + h * 2 * inter + inter * h;
        double lora = rank * ((h + q) + 2 * (h + kv) + (q + h) + (h + 2 * inter) + (inter + h));
        double expected = 2 * 2 * t * (2 * linear + 40 * h) + 3 * 2 * 2 * t * t * q * 2 + 3 * 2 * t * 2 * lora;
        assertEquals(expected, StepFlops.loraStep(glm4, 128, 4));
    }

    @Test
    void qkNormsAndBiasesAddNoMatrixFlops() {
        ModelConfig qwen3 = ModelConfig.builder().modelType("qwen3").vocabSize(40).hiddenSize(64).intermediateSize(96)
                .numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(2).headDim(32).qkNorm(true).attentionBias(true)
                .outputProjectionBias(true).build();
        assertEquals(handWritten(qwen3, 128, 4), StepFlops.loraStep(qwen3, 128, 4));
    }
}
