package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jtune.bench.LoraStepSetup;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.arch.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trainable-parameter count derived from the family's tensors, against the hand-written formula it replaced. */
class MemoryEstimateTest {
    private static final List<FinetuneSpec> SPECS = List.of(
            FinetuneSpec.full(),
            FinetuneSpec.freeze(FinetuneSpec.Freeze.defaults()),
            FinetuneSpec.freeze(new FinetuneSpec.Freeze(-3, List.of("all"), List.of())),
            FinetuneSpec.lora(FinetuneSpec.Lora.defaults()),
            FinetuneSpec.lora(new FinetuneSpec.Lora(16, null, 0.0, List.of("all"), false, List.of())));

    /** The Llama layout's weights written out by hand (no biases, no q/k norms), as MemoryEstimate once did. */
    private static long handWritten(ModelConfig c, FinetuneSpec spec) {
        long h = c.hiddenSize(), i = c.intermediateSize(), q = c.qDim(), kv = c.kvDim(), layers = c.numHiddenLayers();
        long perLayerLinear = h * q + 2 * h * kv + q * h + 3 * h * i;
        long embed = (long) c.vocabSize() * h;
        return switch (spec.type()) {
            case FULL -> layers * (perLayerLinear + 2 * h) + embed * (c.tieWordEmbeddings() ? 1 : 2) + h;
            case FREEZE -> (long) Math.abs(spec.freeze().trainableLayers()) * (perLayerLinear + 2 * h);
            case LORA -> layers * spec.lora().rank() * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + i) + (i + h));
        };
    }

    @Test
    void gemma2CountsItsSandwichNormsAndMatchesThePublishedSize() {
        ModelConfig gemma2 = LoraStepSetup.architecture("gemma2-2b");
        assertEquals(2_614_341_888L, MemoryEstimate.trainableParameters(gemma2, FinetuneSpec.full())); // google/gemma-2-2b
        long h = gemma2.hiddenSize(), q = gemma2.qDim(), kv = gemma2.kvDim(), i = gemma2.intermediateSize();
        assertEquals(8L * 26 * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + i) + (i + h)),
                MemoryEstimate.trainableParameters(gemma2, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
    }

    @Test
    void phi3CountsItsFusedModulesAndMatchesThePublishedSize() {
        ModelConfig phi3 = LoraStepSetup.architecture("phi3-mini");
        assertEquals(3_821_079_552L, MemoryEstimate.trainableParameters(phi3, FinetuneSpec.full())); // Phi-3-mini-4k-instruct
        long h = phi3.hiddenSize(), q = phi3.qDim(), kv = phi3.kvDim(), i = phi3.intermediateSize();
        // LoRA on the fused modules: qkv_proj (h → q + 2kv), o_proj, gate_up_proj (h → 2i), down_proj.
        assertEquals(8L * 32 * ((h + q + 2 * kv) + (q + h) + (h + 2 * i) + (i + h)),
                MemoryEstimate.trainableParameters(phi3, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
    }

    @Test
    void glm4CountsItsSandwichNormsBiasesAndFusedGateUp() {
        // THUDM/GLM-4-9B-0414's config.json shape
        ModelConfig glm4 = ModelConfig.builder().modelType("glm4").vocabSize(151552).hiddenSize(4096).intermediateSize(13696)
                .numHiddenLayers(40).numAttentionHeads(32).numKeyValueHeads(2).headDim(128).partialRotaryFactor(0.5)
                .attentionBias(true).build();
        long h = 4096, q = 4096, kv = 256, i = 13696;
        long layer = (h * q + q) + 2 * (h * kv + kv) + q * h + h * 2 * i + i * h + 4 * h;
        assertEquals(40 * layer + 2 * 151552L * h + h, MemoryEstimate.trainableParameters(glm4, FinetuneSpec.full()));
        assertEquals(9_400_279_040L, MemoryEstimate.trainableParameters(glm4, FinetuneSpec.full())); // "9.4B" on its model card
        assertEquals(8L * 40 * ((h + q) + 2 * (h + kv) + (q + h) + (h + 2 * i) + (i + h)),
                MemoryEstimate.trainableParameters(glm4, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
    }

    @Test
    void chatGlm3CountsItsFusedModulesAndMatchesThePublishedSize() {
        // THUDM/chatglm3-6b's config.json shape: kv_channels 128, 2 multi-query groups, add_qkv_bias
        ModelConfig chatglm = ModelConfig.builder().modelType("chatglm").vocabSize(65024).hiddenSize(4096).intermediateSize(13696)
                .numHiddenLayers(28).numAttentionHeads(32).numKeyValueHeads(2).headDim(128).partialRotaryFactor(0.5)
                .attentionBias(true).maxPositionEmbeddings(8192).build();
        long h = 4096, q = 4096, kv = 256, i = 13696;
        long layer = h * (q + 2 * kv) + (q + 2 * kv) + q * h + h * 2 * i + i * h + 2 * h;
        assertEquals(28 * layer + 2 * 65024L * h + h, MemoryEstimate.trainableParameters(chatglm, FinetuneSpec.full()));
        assertEquals(6_243_584_000L, MemoryEstimate.trainableParameters(chatglm, FinetuneSpec.full())); // "6.24B" for ChatGLM3-6B
        assertEquals(8L * 28 * ((h + q + 2 * kv) + (q + h) + (h + 2 * i) + (i + h)),
                MemoryEstimate.trainableParameters(chatglm, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
    }

    @Test
    void llamaWithoutBiasesCountsAsBefore() {
        ModelConfig llama = LoraStepSetup.architecture("llama3.2-1b");
        for (FinetuneSpec spec : SPECS) {
            assertEquals(handWritten(llama, spec), MemoryEstimate.trainableParameters(llama, spec), spec.type().toString());
        }
        assertEquals(1_235_814_400L, MemoryEstimate.trainableParameters(llama, FinetuneSpec.full())); // Llama-3.2-1B's count
        ModelConfig untied = llama.toBuilder().tieWordEmbeddings(false).build();
        assertEquals(handWritten(untied, FinetuneSpec.full()), MemoryEstimate.trainableParameters(untied, FinetuneSpec.full()));
    }

    /** The q/k/v biases train too; the hand-written formula left them out. LoRA sizes are unchanged. */
    @Test
    void qwenCountsItsQkvBiases() {
        ModelConfig qwen = LoraStepSetup.architecture("qwen2.5-0.5b");
        long biasesPerLayer = qwen.qDim() + 2L * qwen.kvDim();
        assertEquals(handWritten(qwen, SPECS.get(0)) + 24 * biasesPerLayer, MemoryEstimate.trainableParameters(qwen, SPECS.get(0)));
        assertEquals(handWritten(qwen, SPECS.get(1)) + 2 * biasesPerLayer, MemoryEstimate.trainableParameters(qwen, SPECS.get(1)));
        assertEquals(handWritten(qwen, SPECS.get(2)) + 3 * biasesPerLayer, MemoryEstimate.trainableParameters(qwen, SPECS.get(2)));
        for (FinetuneSpec lora : SPECS.subList(3, 5)) {
            assertEquals(handWritten(qwen, lora), MemoryEstimate.trainableParameters(qwen, lora));
        }
        // what transformers counts for Qwen2.5-0.5B (num_parameters()); the hand-written formula gave 494,005,120
        assertEquals(494_032_768L, MemoryEstimate.trainableParameters(qwen, FinetuneSpec.full()));
    }

    /** DoRA keeps each module's output per token (and trains a magnitude); PiSSA holds the residuals in the checkpoint's dtype. */
    @Test
    void doraAndPissaAddTheirMemory() {
        ModelConfig qwen = LoraStepSetup.architecture("qwen2.5-0.5b").toBuilder().dtype(io.jtune.tensor.DType.BF16).build();
        long h = qwen.hiddenSize(), i = qwen.intermediateSize(), q = qwen.qDim(), kv = qwen.kvDim(), layers = qwen.numHiddenLayers();
        FinetuneSpec.Lora lora = FinetuneSpec.Lora.defaults();
        assertEquals(0, MemoryEstimate.adapterMethodBytes(qwen, FinetuneSpec.lora(lora), 256, true));
        long outputs = q + 2 * kv + h + 2 * i + h;
        assertEquals(4L * 256 * outputs + 16L * outputs * layers,
                MemoryEstimate.adapterMethodBytes(qwen, FinetuneSpec.lora(lora.withDora(true)), 256, true));
        long weights = h * q + 2 * h * kv + q * h + 3 * h * i;
        assertEquals(2 * weights * layers,
                MemoryEstimate.adapterMethodBytes(qwen, FinetuneSpec.lora(lora.withPissa(new FinetuneSpec.Pissa(16))), 256, true));
    }
}
