package io.jtune.model;

import static io.jtune.model.ModelGradientTest.checkModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of the LayerNorm families' whole-model gradients (GPT-2, ...): full
 * (LayerNorm biases, learned positions, the tied wte), freeze and LoRA on the Conv1D modules.
 */
class ClassicFamilyGradientTest {
    private static List<String> names(CausalLM model) {
        return model.trainableParameters().stream().map(TrainableParameter::name).toList();
    }

    @Test
    void fullGpt2WithLayerNormBiasesLearnedPositionsAndTiedEmbeddings() {
        CausalLM model = TinyModels.build("gpt2", FinetuneSpec.full(), false);
        List<String> names = names(model);
        assertTrue(names.containsAll(List.of("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.bias",
                "transformer.h.1.attn.c_attn.bias", "transformer.ln_f.bias")), names.toString());
        assertTrue(!names.contains("lm_head.weight"), "a tied lm_head is wte");
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void freezeGpt2LastLayerMlpWithPositionEmbedding() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("mlp", "ln_2"), List.of("wpe")));
        CausalLM model = TinyModels.build("gpt2", spec, false);
        assertEquals(List.of("transformer.wpe.weight", "transformer.h.1.ln_2.weight", "transformer.h.1.ln_2.bias",
                "transformer.h.1.mlp.c_fc.weight", "transformer.h.1.mlp.c_fc.bias", "transformer.h.1.mlp.c_proj.weight",
                "transformer.h.1.mlp.c_proj.bias"), names(model));
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraGpt2TargetsEveryConv1dAndBothCProj() {
        var lora = FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.2, List.of("c_proj"), false, List.of()));
        CausalLM model = TinyModels.build("gpt2", lora, false);
        assertEquals(List.of("base_model.model.transformer.h.0.attn.c_proj.lora_A.weight",
                "base_model.model.transformer.h.0.attn.c_proj.lora_B.weight",
                "base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight",
                "base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight"), names(model).subList(0, 4));
        CausalLM all = TinyModels.build("gpt2",
                FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.2, List.of("all"), false, List.of())), false);
        assertEquals(2 * 4 * 2, all.trainableParameters().size(), "c_attn, attn.c_proj, c_fc, mlp.c_proj in both layers");
        TinyModels.randomizeLoraB(all);
        checkModel(all, TinyModels.packedBatch(29));
        JtuneException e = assertThrows(JtuneException.class, () -> TinyModels.build("gpt2",
                FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.0, List.of("q_proj"), false, List.of())), false));
        assertTrue(e.getMessage().contains("c_attn, c_proj, c_fc"), e.getMessage());
    }

    @Test
    void gpt2RefusesPositionsBeyondItsLearnedTable() {
        CausalLM model = TinyModels.build("gpt2", FinetuneSpec.full(), false);
        int[] ids = new int[130];
        Batch tooLong = Batch.of(new int[][] {ids}, new int[][] {ids});
        JtuneException e = assertThrows(JtuneException.class, () -> model.evaluate(tooLong));
        assertTrue(e.getMessage().contains("128 learned positions"), e.getMessage());
    }

    @Test
    void fullBloomWithAlibiEmbeddingNormAndGroupedQkv() {
        CausalLM model = TinyModels.build("bloom", FinetuneSpec.full(), false);
        List<String> names = names(model);
        assertTrue(names.containsAll(List.of("transformer.word_embeddings.weight", "transformer.word_embeddings_layernorm.bias",
                "transformer.h.0.self_attention.query_key_value.bias", "transformer.h.1.mlp.dense_4h_to_h.weight")), names.toString());
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void freezeBloomWithTheEmbeddingNormAsExtraModule() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("self_attention"), List.of("word_embeddings_layernorm")));
        CausalLM model = TinyModels.build("bloom", spec, false);
        assertEquals(List.of("transformer.word_embeddings_layernorm.weight", "transformer.word_embeddings_layernorm.bias",
                "transformer.h.1.self_attention.query_key_value.weight", "transformer.h.1.self_attention.query_key_value.bias",
                "transformer.h.1.self_attention.dense.weight", "transformer.h.1.self_attention.dense.bias"), names(model));
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraBloomOnItsFourLinearLayers() {
        var lora = FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.2, List.of("all"), false, List.of()));
        CausalLM model = TinyModels.build("bloom", lora, false);
        assertEquals(2 * 4 * 2, model.trainableParameters().size(), "query_key_value, dense, dense_h_to_4h, dense_4h_to_h");
        CausalLM dense = TinyModels.build("bloom",
                FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.0, List.of("dense"), false, List.of())), false);
        assertEquals(List.of("base_model.model.transformer.h.0.self_attention.dense.lora_A.weight",
                "base_model.model.transformer.h.0.self_attention.dense.lora_B.weight"), names(dense).subList(0, 2));
        assertEquals(2 * 2, dense.trainableParameters().size(), "dense names self_attention.dense only, as in PEFT");
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void fullFalcon7bLayoutThroughTheSharedNorm() {
        CausalLM model = TinyModels.build("falcon", FinetuneSpec.full(), false);
        List<String> names = names(model);
        assertTrue(names.contains("transformer.h.1.input_layernorm.bias") && !names.contains("transformer.h.1.ln_mlp.weight"), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.endsWith("dense.bias")), "Falcon-7B has no biases: " + names);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void fullFalconNewArchitectureWithTwoNormsAndBiases() {
        CausalLM model = TinyModels.build("falcon_new", FinetuneSpec.full(), false);
        List<String> names = names(model);
        assertTrue(names.containsAll(List.of("transformer.h.0.ln_attn.weight", "transformer.h.0.ln_mlp.bias",
                "transformer.h.0.self_attention.query_key_value.bias", "transformer.h.1.mlp.dense_4h_to_h.bias")), names.toString());
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void freezeAndLoraFalcon() {
        var freeze = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("ln_mlp", "mlp"), List.of()));
        CausalLM frozen = TinyModels.build("falcon_new", freeze, false);
        assertEquals(List.of("transformer.h.1.mlp.dense_h_to_4h.weight", "transformer.h.1.mlp.dense_h_to_4h.bias",
                "transformer.h.1.mlp.dense_4h_to_h.weight", "transformer.h.1.mlp.dense_4h_to_h.bias",
                "transformer.h.1.ln_mlp.weight", "transformer.h.1.ln_mlp.bias"), names(frozen));
        checkModel(frozen, TinyModels.batch(29));
        CausalLM lora = TinyModels.build("falcon",
                FinetuneSpec.lora(new FinetuneSpec.Lora(3, null, 0.2, List.of("all"), false, List.of())), false);
        assertEquals(2 * 4 * 2, lora.trainableParameters().size(), "query_key_value, dense, dense_h_to_4h, dense_4h_to_h");
        TinyModels.randomizeLoraB(lora);
        checkModel(lora, TinyModels.packedBatch(29));
    }

    @Test
    void falconWithoutParallelAttentionIsSequential() {
        var c = TinyModels.config("falcon").toBuilder().parallelNorms(0).build();
        CausalLM model = ModelBuilder.build(c, new RandomWeights(c, 7, io.jtune.tensor.DType.F32, 0.3), FinetuneSpec.full(),
                new CausalLM.Options(false, 11));
        assertTrue(names(model).contains("transformer.h.1.post_attention_layernorm.bias"), names(model).toString());
        checkModel(model, TinyModels.batch(29));
    }
}
