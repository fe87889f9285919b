package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What trains under each fine-tuning type, and clear errors for bad checkpoints and settings. */
class ModelBuildTest {
    private static List<String> trainable(String type, FinetuneSpec spec) {
        return TinyModels.build(type, spec, false).trainableParameters().stream().map(TrainableParameter::name).toList();
    }

    private static JtuneException buildError(String type, RandomWeights weights, FinetuneSpec spec) {
        return assertThrows(JtuneException.class,
                () -> ModelBuilder.build(TinyModels.config(type), weights, spec, CausalLM.Options.defaults()));
    }

    private static RandomWeights weights(String type) {
        return new RandomWeights(TinyModels.config(type), 1, DType.F32);
    }

    @Test
    void loraAllTargetsEveryLinearLayerButLmHeadWithPeftNames() {
        List<String> names = trainable("llama", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()));
        assertEquals(2 * 7 * 2, names.size());
        assertEquals("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", names.get(0));
        assertEquals("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", names.get(1));
        assertTrue(names.stream().noneMatch(n -> n.contains("lm_head")));
        CausalLM model = TinyModels.build("llama", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TrainableParameter a = model.trainableParameters().get(0), b = model.trainableParameters().get(1);
        assertEquals(8, a.rows());
        assertEquals(16, a.cols());
        // PEFT init: A uniform within ±1/√in, B zero.
        float bound = (float) (1 / Math.sqrt(16));
        double maxAbs = 0;
        for (int i = 0; i < a.size(); i++) maxAbs = Math.max(maxAbs, Math.abs(model.parameterValues()[a.offset() + i]));
        assertTrue(maxAbs <= bound && maxAbs > bound * 0.8, "A within the Kaiming bound: " + maxAbs);
        for (int i = 0; i < b.size(); i++) assertEquals(0f, model.parameterValues()[b.offset() + i]);
    }

    @Test
    void loraAlphaDefaultsToTwiceTheRank() {
        assertEquals(2f, FinetuneSpec.Lora.defaults().scale());
        assertEquals(16 / (float) Math.sqrt(8), new FinetuneSpec.Lora(8, null, 0, List.of("all"), true, List.of()).scale());
    }

    @Test
    void freezeSelectsLayersAndModulesLikeLlamaFactory() {
        List<String> last = trainable("llama", FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("mlp"), List.of())));
        assertEquals(List.of("model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight",
                "model.layers.1.mlp.down_proj.weight"), last);
        List<String> first = trainable("llama", FinetuneSpec.freeze(new FinetuneSpec.Freeze(-1, List.of("all"), List.of())));
        assertTrue(first.stream().allMatch(n -> n.startsWith("model.layers.0.")), first.toString());
        assertEquals(9, first.size());
        // freeze_extra_modules is a substring test in LLaMA-Factory: "norm" also matches every layer norm.
        List<String> norms = trainable("llama", FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("self_attn"), List.of("norm"))));
        assertTrue(norms.contains("model.norm.weight"));
        assertTrue(norms.contains("model.layers.0.input_layernorm.weight"));
    }

    @Test
    void unknownModulesAreListed() {
        var badLora = new FinetuneSpec.Lora(8, null, 0, List.of("q_proj", "qkv_proj"), false, List.of());
        String msg = buildError("llama", weights("llama"), FinetuneSpec.lora(badLora)).getMessage();
        assertTrue(msg.contains("qkv_proj") && msg.contains("q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"), msg);
        var badFreeze = new FinetuneSpec.Freeze(2, List.of("attention"), List.of());
        msg = buildError("llama", weights("llama"), FinetuneSpec.freeze(badFreeze)).getMessage();
        assertTrue(msg.contains("attention") && msg.contains("self_attn") && msg.contains("mlp"), msg);
        var badExtra = new FinetuneSpec.Lora(8, null, 0, List.of("all"), false, List.of("wte"));
        msg = buildError("llama", weights("llama"), FinetuneSpec.lora(badExtra)).getMessage();
        assertTrue(msg.contains("wte") && msg.contains("embed_tokens"), msg);
    }

    @Test
    void badCheckpointsNameTheTensor() {
        String name = "model.layers.1.self_attn.k_proj.weight";
        String msg = buildError("llama", weights("llama").with(name, Matrix.of(new float[16 * 16], 16, 16)),
                FinetuneSpec.full()).getMessage();
        assertTrue(msg.contains(name) && msg.contains("[16 x 16]") && msg.contains("[8 x 16]"), msg);

        msg = buildError("llama", weights("llama").without("model.norm.weight"), FinetuneSpec.full()).getMessage();
        assertTrue(msg.contains("missing") && msg.contains("model.norm.weight"), msg);

        msg = buildError("llama", weights("llama").with("model.layers.0.mlp.extra.weight", Matrix.of(new float[4], 2, 2)),
                FinetuneSpec.full()).getMessage();
        assertTrue(msg.contains("model.layers.0.mlp.extra.weight"), msg);

        float[] bad = new float[8 * 16];
        bad[20] = Float.NaN;
        msg = buildError("llama", weights("llama").with(name, Matrix.of(bad, 8, 16)),
                FinetuneSpec.lora(FinetuneSpec.Lora.defaults())).getMessage();
        assertTrue(msg.contains(name) && msg.contains("NaN") && msg.contains("[1, 4]"), msg);
    }

    @Test
    void unsupportedArchitectureIsAnError() {
        ModelConfig c = TinyModels.config("llama");
        ModelConfig mixtral = ModelConfig.builder().modelType("deepseek_v2")
                .vocabSize(c.vocabSize()).hiddenSize(c.hiddenSize()).intermediateSize(c.intermediateSize())
                .numHiddenLayers(c.numHiddenLayers())
                .numAttentionHeads(c.numAttentionHeads()).numKeyValueHeads(c.numKeyValueHeads()).headDim(c.headDim())
                .maxPositionEmbeddings(c.maxPositionEmbeddings())
                .rmsNormEps(c.rmsNormEps()).rope(c.rope())
                .dtype(DType.F32)
                .build();
        String msg = assertThrows(JtuneException.class, () -> ModelBuilder.build(mixtral, new RandomWeights(c, 1, DType.F32),
                FinetuneSpec.full(), CausalLM.Options.defaults())).getMessage();
        assertTrue(msg.contains("deepseek_v2") && msg.contains("qwen3"), msg);
    }

    @Test
    void bf16FrozenWeightsTrainLikeFp32() {
        ModelConfig c = TinyModels.config("qwen2");
        CausalLM model = ModelBuilder.build(c, new RandomWeights(c, 1, DType.BF16),
                FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), CausalLM.Options.defaults());
        StepLoss loss = model.forwardBackward(TinyModels.batch(29), 1f);
        // Random small weights give near-uniform predictions: loss ≈ ln(vocab) per token.
        assertEquals(Math.log(29), loss.mean(), 0.05);
    }

    @Test
    void gradientAccumulationMatchesOneBigBatch() {
        Batch both = TinyModels.batch(29);
        CausalLM model = TinyModels.build("llama", FinetuneSpec.full(), false);
        StepLoss whole = model.forwardBackward(both, 1f / 10);
        float[] reference = model.gradients().clone();
        model.zeroGrad();
        double sum = 0;
        for (int r = 0; r < 2; r++) {
            int[] ids = java.util.Arrays.copyOfRange(both.inputIds(), r * 7, r * 7 + 7);
            int[] labels = java.util.Arrays.copyOfRange(both.labels(), r * 7, r * 7 + 7);
            sum += model.forwardBackward(Batch.of(new int[][] {ids}, new int[][] {labels}), 1f / 10).sum();
        }
        assertEquals(whole.sum(), sum, 1e-9 * sum);
        double diff = 0, norm = 0;
        for (int i = 0; i < reference.length; i++) {
            diff += Math.pow(reference[i] - model.gradients()[i], 2);
            norm += Math.pow(reference[i], 2);
        }
        assertTrue(Math.sqrt(diff / norm) < 1e-6, "relative difference " + Math.sqrt(diff / norm));
    }

    @Test
    void mergedWeightAddsTheLoraUpdate() {
        CausalLM model = TinyModels.build("llama", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TinyModels.randomizeLoraB(model);
        String name = "model.layers.1.mlp.down_proj.weight";
        float[] merged = model.mergedWeight(name);
        float[] base = new float[16 * 24];
        RandomWeights w = new RandomWeights(TinyModels.config("llama"), 7, DType.F32, 0.3);
        Matrix m = w.tensor(name);
        for (int r = 0; r < 16; r++) m.readRow(r, 0, 24, base, r * 24);
        TrainableParameter a = null, b = null;
        for (TrainableParameter p : model.trainableParameters()) {
            if (p.name().equals("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight")) a = p;
            if (p.name().equals("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight")) b = p;
        }
        float[] v = model.parameterValues();
        double delta = 0;
        for (int k = 0; k < 8; k++) delta += v[b.offset() + 3 * 8 + k] * v[a.offset() + k * 24 + 5];
        assertEquals(base[3 * 24 + 5] + 2.0 * delta, merged[3 * 24 + 5], 1e-5);
        assertEquals(model.mergedWeight("model.norm.weight")[0], w.tensor("model.norm.weight").get(0, 0));
        assertThrows(JtuneException.class, () -> model.mergedWeight("model.layers.9.mlp.up_proj.weight"));
    }
}
