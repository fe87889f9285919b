package io.jtune.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of the whole model's gradients, per trainable tensor, for every
 * architecture and the three fine-tuning types.
 */
class ModelGradientTest {

    /** Checks every trainable tensor of the model along random directions. */
    static void checkModel(CausalLM model, Batch batch) {
        checkModel(model, batch, name -> true);
    }

    /** Checks the trainable tensors whose name passes {@code checked}. */
    static void checkModel(CausalLM model, Batch batch, java.util.function.Predicate<String> checked) {
        model.zeroGrad();
        model.setStep(5);
        model.forwardBackward(batch, 1f);
        float[] grads = model.gradients().clone();
        float[] values = model.parameterValues();
        Random rnd = new Random(1);
        float eps = 1e-3f;
        for (TrainableParameter p : model.trainableParameters()) {
            if (!checked.test(p.name())) continue;
            float[] saved = java.util.Arrays.copyOfRange(values, p.offset(), p.offset() + p.size());
            double gradNorm = 0;
            for (int i = 0; i < p.size(); i++) gradNorm += (double) grads[p.offset() + i] * grads[p.offset() + i];
            assertTrue(gradNorm > 0, p.name() + " has no gradient");
            float[] d = new float[p.size()];
            double analytic = 0, dNorm = 0;
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) rnd.nextGaussian();
                analytic += (double) grads[p.offset() + i] * d[i];
                dNorm += (double) d[i] * d[i];
            }
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                float sign = side == 0 ? 1 : -1;
                for (int i = 0; i < d.length; i++) values[p.offset() + i] = saved[i] + sign * eps * d[i];
                model.setStep(5);
                losses[side] = model.trainingLoss(batch).sum();
            }
            System.arraycopy(saved, 0, values, p.offset(), saved.length);
            double numeric = (losses[0] - losses[1]) / (2 * eps);
            assertEquals(analytic, numeric, 1e-2 * Math.sqrt(gradNorm * dNorm),
                    p.name() + ": analytic " + analytic + " numeric " + numeric);
        }
    }

    @Test
    void fullLlamaWithLlama3Rope() {
        checkModel(TinyModels.build("llama", FinetuneSpec.full(), false), TinyModels.batch(29));
    }

    @Test
    void fullQwen2WithBiasAndTiedEmbeddings() {
        CausalLM model = TinyModels.build("qwen2", FinetuneSpec.full(), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.layers.0.self_attn.q_proj.bias"));
        assertTrue(!names.contains("lm_head.weight"), "a tied lm_head is the embedding");
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void freezeQwen3LastLayerWithExtraModules() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("all"), List.of("embed_tokens")));
        CausalLM model = TinyModels.build("qwen3", spec, false);
        for (TrainableParameter p : model.trainableParameters()) {
            assertTrue(p.name().startsWith("model.layers.1.") || p.name().equals("model.embed_tokens.weight"), p.name());
        }
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void freezeGemmaWithTrainedEmbeddingThroughTheSqrtHiddenScale() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(2, List.of("all"), List.of("embed_tokens")));
        CausalLM model = TinyModels.build("gemma", spec, false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.embed_tokens.weight") && names.contains("model.layers.0.input_layernorm.weight"), names.toString());
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void fullGemma2WithSandwichNormsCapsAndAlternatingWindows() {
        CausalLM model = TinyModels.build("gemma2", FinetuneSpec.full(), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.layers.2.post_feedforward_layernorm.weight"), names.toString());
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void loraGemma2() {
        CausalLM model = TinyModels.build("gemma2", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void freezeGemma3WithQkNormsAndLocalRope() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(3, List.of("all"), List.of()));
        CausalLM model = TinyModels.build("gemma3", spec, false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.layers.3.self_attn.q_norm.weight"), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.startsWith("model.layers.2.")), names.toString());
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void loraGemma3() {
        CausalLM model = TinyModels.build("gemma3", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraGemma() {
        CausalLM model = TinyModels.build("gemma", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void fullPhi3WithFusedProjectionsPartialRotaryAndLongRopeLongFactors() {
        CausalLM model = TinyModels.build("phi3_long", FinetuneSpec.full(), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.layers.1.self_attn.qkv_proj.weight") && names.contains("model.layers.1.mlp.gate_up_proj.weight"),
                names.toString());
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraPhi3OnPackedSequencesWithShortFactors() {
        CausalLM model = TinyModels.build("phi3_long", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("o_proj", "qkv_proj", "gate_up_proj", "down_proj"),
                names.stream().filter(n -> n.startsWith("base_model.model.model.layers.0.") && n.endsWith("lora_A.weight"))
                        .map(n -> n.split("\\.")[6]).toList());
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void freezePhi3AttentionOfTheLastLayer() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("self_attn"), List.of()));
        CausalLM model = TinyModels.build("phi3", spec, false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("model.layers.1.self_attn.o_proj.weight", "model.layers.1.self_attn.qkv_proj.weight"), names);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void fullGlm4WithSandwichNormsBiasesAndInterleavedRotary() {
        CausalLM model = TinyModels.build("glm4", FinetuneSpec.full(), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("model.layers.1.self_attn.q_proj.bias") && names.contains("model.layers.1.mlp.gate_up_proj.weight")
                && names.contains("model.layers.1.post_self_attn_layernorm.weight")
                && names.contains("model.layers.1.post_mlp_layernorm.weight"), names.toString());
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraGlm4OnPackedSequences() {
        CausalLM model = TinyModels.build("glm4", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"),
                names.stream().filter(n -> n.startsWith("base_model.model.model.layers.0.") && n.endsWith("lora_A.weight"))
                        .map(n -> n.split("\\.")[6]).toList());
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void freezeGlm4MlpOfTheLastLayer() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("mlp"), List.of()));
        CausalLM model = TinyModels.build("glm4", spec, false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("model.layers.1.mlp.gate_up_proj.weight", "model.layers.1.mlp.down_proj.weight"), names);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void fullChatGlmWithItsOwnNamesAndMultiQueryGroups() {
        CausalLM model = TinyModels.build("chatglm", FinetuneSpec.full(), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("transformer.embedding.word_embeddings.weight")
                && names.contains("transformer.encoder.layers.1.self_attention.query_key_value.bias")
                && names.contains("transformer.encoder.layers.1.mlp.dense_h_to_4h.weight")
                && names.contains("transformer.encoder.final_layernorm.weight") && names.contains("transformer.output_layer.weight"),
                names.toString());
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraChatGlmOnPackedSequences() {
        CausalLM model = TinyModels.build("chatglm", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"),
                names.stream().filter(n -> n.startsWith("base_model.model.transformer.encoder.layers.0.") && n.endsWith("lora_A.weight"))
                        .map(n -> n.split("\\.")[7]).toList());
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void freezeChatGlmAttentionOfTheLastLayer() {
        var spec = FinetuneSpec.freeze(new FinetuneSpec.Freeze(1, List.of("self_attention"), List.of()));
        CausalLM model = TinyModels.build("chatglm", spec, false);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertEquals(List.of("transformer.encoder.layers.1.self_attention.query_key_value.weight",
                "transformer.encoder.layers.1.self_attention.query_key_value.bias",
                "transformer.encoder.layers.1.self_attention.dense.weight"), names);
        checkModel(model, TinyModels.batch(29));
    }

    @Test
    void loraMistralOnPackedSequencesWithSlidingWindow() {
        CausalLM model = TinyModels.build("mistral", FinetuneSpec.lora(FinetuneSpec.Lora.defaults()), false);
        TinyModels.randomizeLoraB(model);
        checkModel(model, TinyModels.packedBatch(29));
    }

    @Test
    void loraQwen3WithDropoutRsloraAndAdditionalTargets() {
        var lora = new FinetuneSpec.Lora(4, 16.0, 0.2, List.of("q_proj", "v_proj", "down_proj"), true,
                List.of("embed_tokens", "lm_head"));
        CausalLM model = TinyModels.build("qwen3", FinetuneSpec.lora(lora), true);
        TinyModels.randomizeLoraB(model);
        List<String> names = model.trainableParameters().stream().map(TrainableParameter::name).toList();
        assertTrue(names.contains("base_model.model.model.embed_tokens.weight"), names.toString());
        assertTrue(names.contains("base_model.model.lm_head.weight"), names.toString());
        assertTrue(names.contains("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"), names.toString());
        assertTrue(!names.contains("base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight"));
        checkModel(model, TinyModels.batch(29));
    }

    /**
     * DoRA with lora_dropout, where PEFT runs the base weight on the dropped-out input a second time.
     * The row norm is a constant in backward (PEFT detaches it), so A's and B's gradients are not the
     * loss's true derivative (the golden test checks them against PEFT); the magnitude's and the
     * embedding's (which reaches every module through the input gradient, dropout included) are,
     * since the norm depends on neither.
     */
    @Test
    void doraWithDropoutMagnitudeAndInputGradients() {
        for (boolean checkpointing : List.of(false, true)) {
            var lora = new FinetuneSpec.Lora(4, 8.0, 0.25, List.of("all"), false, List.of("embed_tokens")).withDora(true);
            CausalLM model = TinyModels.build("qwen2", FinetuneSpec.lora(lora), checkpointing);
            TinyModels.randomizeLoraB(model);
            Random rnd = new Random(3);
            for (TrainableParameter p : model.trainableParameters()) {
                if (!p.name().endsWith("lora_magnitude_vector")) continue;
                for (int i = 0; i < p.size(); i++) model.parameterValues()[p.offset() + i] *= (float) (1 + 0.3 * rnd.nextGaussian());
            }
            checkModel(model, TinyModels.batch(29), name -> name.endsWith("lora_magnitude_vector") || name.contains("embed_tokens"));
        }
    }

    @Test
    void doraGradientCheckpointingGivesIdenticalGradients() {
        var lora = FinetuneSpec.lora(new FinetuneSpec.Lora(4, null, 0.3, List.of("all"), false, List.of()).withDora(true));
        float[][] grads = new float[2][];
        for (int i = 0; i < 2; i++) {
            CausalLM model = TinyModels.build("llama", lora, i == 1);
            TinyModels.randomizeLoraB(model);
            model.zeroGrad();
            model.forwardBackward(TinyModels.batch(29), 0.1f);
            grads[i] = model.gradients().clone();
        }
        assertArrayEquals(grads[0], grads[1], 0f);
    }

    @Test
    void gradientCheckpointingGivesIdenticalGradients() {
        var loraWithDropout = FinetuneSpec.lora(new FinetuneSpec.Lora(4, null, 0.3, List.of("all"), false, List.of()));
        for (String type : List.of("llama", "qwen3", "gemma", "gemma2", "gemma3", "phi3_long", "glm4", "chatglm", "gpt2", "bloom", "falcon", "falcon_new")) {
            for (FinetuneSpec spec : List.of(FinetuneSpec.full(), loraWithDropout)) {
                float[][] grads = new float[2][];
                double[] losses = new double[2];
                for (int i = 0; i < 2; i++) {
                    CausalLM model = TinyModels.build(type, spec, i == 1);
                    TinyModels.randomizeLoraB(model);
                    model.zeroGrad();
                    losses[i] = model.forwardBackward(TinyModels.batch(29), 0.1f).sum();
                    grads[i] = model.gradients().clone();
                }
                assertEquals(losses[0], losses[1], 0.0, type + " " + spec.type());
                assertArrayEquals(grads[0], grads[1], 0f, type + " " + spec.type());
            }
        }
    }

    @Test
    void evaluateAndLogitsAgreeWithTraining() {
        CausalLM model = TinyModels.build("llama", FinetuneSpec.full(), false);
        Batch batch = TinyModels.batch(29);
        StepLoss train = model.forwardBackward(batch, 1f);
        StepLoss eval = model.evaluate(batch);
        assertEquals(train.sum(), eval.sum(), 0.0);
        assertEquals(4 + 6, eval.labelTokens());
        // Recompute the loss from the full logits.
        float[] logits = model.forwardLogits(batch);
        int[] targets = batch.shiftedTargets();
        double sum = 0;
        for (int t = 0; t < batch.tokens(); t++) {
            if (targets[t] < 0) continue;
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int v = 0; v < 29; v++) max = Math.max(max, logits[t * 29 + v]);
            for (int v = 0; v < 29; v++) s += Math.exp(logits[t * 29 + v] - max);
            sum += max + Math.log(s) - logits[t * 29 + targets[t]];
        }
        assertEquals(sum, eval.sum(), 1e-5 * sum);
        float[] last = model.lastPositionLogits(batch);
        for (int b = 0; b < 2; b++) {
            for (int v = 0; v < 29; v++) assertEquals(logits[(b * 7 + 6) * 29 + v], last[b * 29 + v], 1e-5f);
        }
    }
}
