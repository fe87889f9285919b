package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.bench.LoraStepSetup;
import io.jtune.bench.StepFlops;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.arch.ModelConfig;
import org.junit.jupiter.api.Test;

/** The memory estimate and FLOP count of the LayerNorm families, from their declarations. */
class ClassicFamilyEstimateTest {
    @Test
    void gpt2CountsItsPublishedSizeAndItsConv1dLora() {
        ModelConfig gpt2 = LoraStepSetup.architecture("gpt2");
        assertEquals(124_439_808L, MemoryEstimate.trainableParameters(gpt2, FinetuneSpec.full()));   // openai-community/gpt2
        long h = gpt2.hiddenSize(), i = gpt2.intermediateSize();
        // LoRA r 8 on c_attn (h → 3h), attn.c_proj (h → h), c_fc (h → i), mlp.c_proj (i → h) of 12 layers
        assertEquals(8L * 12 * ((h + 3 * h) + (h + h) + (h + i) + (i + h)),
                MemoryEstimate.trainableParameters(gpt2, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
        // a forward pass: 2 FLOPs per weight and token for the 85M layer weights and the tied head, plus attention
        double perToken = StepFlops.frozenForward(gpt2, 1);
        assertTrue(perToken > 2 * (85e6 + 38e6) && perToken < 2 * (85e6 + 39e6) + 1e6, "forward FLOPs per token " + perToken);
    }

    @Test
    void bloom560mCountsItsPublishedSize() {
        ModelConfig bloom = LoraStepSetup.architecture("bloom-560m");
        assertEquals(559_214_592L, MemoryEstimate.trainableParameters(bloom, FinetuneSpec.full()));   // bigscience/bloom-560m
        long h = bloom.hiddenSize(), i = bloom.intermediateSize();
        assertEquals(8L * 24 * ((h + 3 * h) + (h + h) + (h + i) + (i + h)),
                MemoryEstimate.trainableParameters(bloom, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
    }

    @Test
    void falconLoraCountsTheGroupedProjection() {
        ModelConfig falcon = io.jtune.model.arch.ModelConfig.builder().modelType("falcon").vocabSize(65024).hiddenSize(4544)
                .intermediateSize(18176).numHiddenLayers(32).numAttentionHeads(71).numKeyValueHeads(1).parallelNorms(1)
                .hiddenAct("gelu").tieWordEmbeddings(true).build();
        assertEquals(6_921_720_704L, MemoryEstimate.trainableParameters(falcon, FinetuneSpec.full()));   // tiiuae/falcon-7b
        long h = falcon.hiddenSize(), i = falcon.intermediateSize(), qkv = falcon.qDim() + 2L * falcon.kvDim();
        assertEquals(8L * 32 * ((h + qkv) + (h + h) + (h + i) + (i + h)),
                MemoryEstimate.trainableParameters(falcon, FinetuneSpec.lora(FinetuneSpec.Lora.defaults())));
        assertTrue(StepFlops.loraStep(falcon, 512, 8) > 0);
    }
}
