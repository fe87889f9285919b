package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.bench.StepFlops;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.MoeConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mixture-of-Experts sizes: the memory estimate counts every expert (total parameters, the
 * published sizes), the FLOP count only the experts a token runs through (active parameters).
 */
class MoeSizesTest {
    /** mistralai/Mixtral-8x7B-v0.1's config.json. */
    static final ModelConfig MIXTRAL = ModelConfig.builder().modelType("mixtral").vocabSize(32000).hiddenSize(4096)
            .intermediateSize(14336).numHiddenLayers(32).numAttentionHeads(32).numKeyValueHeads(8)
            .moe(new MoeConfig(8, 2, 14336, true, 0, 1, List.of(), 0.02)).build();

    /** Qwen/Qwen1.5-MoE-A2.7B's config.json. */
    static final ModelConfig QWEN2_MOE = ModelConfig.builder().modelType("qwen2_moe").vocabSize(151936).hiddenSize(2048)
            .intermediateSize(5632).numHiddenLayers(24).numAttentionHeads(16).numKeyValueHeads(16).attentionBias(true)
            .moe(new MoeConfig(60, 4, 1408, false, 5632, 1, List.of(), 0.001)).build();

    @Test
    void totalParametersAreThePublishedSizes() {
        assertEquals(46_702_792_704L, MemoryEstimate.trainableParameters(MIXTRAL, FinetuneSpec.full()));     // "46.7B"
        assertEquals(14_315_784_192L, MemoryEstimate.trainableParameters(QWEN2_MOE, FinetuneSpec.full()));   // "14.3B"
        assertEquals(14_315_784_192L, MemoryEstimate.trainableParameters(
                io.jtune.bench.LoraStepSetup.architecture("qwen1.5-moe-a2.7b"), FinetuneSpec.full()), "jtune bench step's shape");
        // LoRA on every linear module: attention, the router and all 8 experts' w1/w2/w3 of every layer.
        long h = 4096, kv = 1024, i = 14336, r = 8;
        long perLayer = r * ((h + h) + 2 * (h + kv) + (h + h) + (h + 8) + 8 * 3 * (h + i));
        var lora = new FinetuneSpec.Lora((int) r, 16.0, 0.0, List.of("all"), false, List.of());
        assertEquals(32 * perLayer, MemoryEstimate.trainableParameters(MIXTRAL, FinetuneSpec.lora(lora)));
    }

    @Test
    void flopsCountTheActiveExperts() {
        int tokens = 512;
        double attention = 4096.0 * 4096 * 2 + 4096.0 * 1024 * 2, router = 8 * 4096.0, twoExperts = 2 * 3 * 4096.0 * 14336;
        double lmHead = 32000.0 * 4096;
        double expected = 2.0 * tokens * (32 * (attention + router + twoExperts) + lmHead) + 2 * 2.0 * tokens * tokens * 4096 * 32;
        assertEquals(expected, StepFlops.frozenForward(MIXTRAL, tokens), 1e-9 * expected);
        // Mixtral's "12.9B active": the FLOPs of a token are those of a dense model of about that size.
        double activeParameters = (StepFlops.frozenForward(MIXTRAL, 1) - 2 * 2.0 * 4096 * 32) / 2 + 32000.0 * 4096;
        assertTrue(Math.abs(activeParameters - 12.88e9) < 0.05e9, "active parameters " + activeParameters);
    }

    @Test
    void activationsCountTheRoutedRowsNotEveryExpert() {
        long moe = MemoryEstimate.activationBytes(MIXTRAL, 1024, true);
        ModelConfig dense = MIXTRAL.toBuilder().modelType("mistral").moe(null).build();
        long mistral = MemoryEstimate.activationBytes(dense, 1024, true);
        // Two experts' gate/up per token (and their gathered input/output) against one dense MLP's gate/up/act.
        assertTrue(moe > mistral && moe < 2 * mistral, moe + " vs " + mistral);
    }
}
