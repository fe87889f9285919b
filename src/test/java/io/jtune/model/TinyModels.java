package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.List;
import java.util.Random;

/** Tiny configurations of each architecture, small enough for finite differences. */
final class TinyModels {
    private TinyModels() {}

    static ModelConfig config(String type) {
        return switch (type) {
            // llama with llama3 rope scaling, GQA, untied embeddings
            case "llama" -> ModelConfig.builder().modelType("llama")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-5).rope(new RopeConfig(10000, "llama3", 8, 1, 4, 32))
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // mistral with a sliding window shorter than the sequence
            case "mistral" -> ModelConfig.builder().modelType("mistral")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-5).slidingWindow(3)
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // qwen2: q/k/v bias, tied embeddings
            case "qwen2" -> ModelConfig.builder().modelType("qwen2")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(128)
                    .rope(RopeConfig.plain(1000000))
                    .tieWordEmbeddings(true).attentionBias(true)
                    .eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // qwen3: q_norm/k_norm, head_dim independent of hidden size, MQA
            case "qwen3" -> ModelConfig.builder().modelType("qwen3")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(1).headDim(8).maxPositionEmbeddings(128)
                    .rope(RopeConfig.plain(1000000))
                    .tieWordEmbeddings(true).qkNorm(true)
                    .eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // gemma: (1 + w) norms, √hidden embedding scale, tanh-GeGLU, head_dim of its own, tied
            case "gemma" -> ModelConfig.builder().modelType("gemma")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).headDim(8).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-6).hiddenAct("gelu_pytorch_tanh")
                    .tieWordEmbeddings(true)
                    .bosTokenId(2).eosTokenIds(List.of(1)).dtype(DType.F32)
                    .build();
            // gemma2: sandwich norms, scale and caps that bend the numbers, window 3 on layers 0 and 2
            case "gemma2" -> ModelConfig.builder().modelType("gemma2")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(3)
                    .numAttentionHeads(4).numKeyValueHeads(2).headDim(8).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-6).hiddenAct("gelu_pytorch_tanh")
                    .queryPreAttnScalar(6).attnLogitSoftcap(2.0).finalLogitSoftcap(3.0)
                    .slidingWindow(3).slidingLayers(List.of(true, false, true))
                    .tieWordEmbeddings(true)
                    .bosTokenId(2).eosTokenIds(List.of(1)).dtype(DType.F32)
                    .build();
            // gemma3_text: q/k norms, layers 0, 1, 3, 4 slide (window 3, local RoPE 1e4), 2 and 5 are global (1e6, linear 2)
            case "gemma3" -> ModelConfig.builder().modelType("gemma3_text")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(6)
                    .numAttentionHeads(4).numKeyValueHeads(1).headDim(8).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-6).hiddenAct("gelu_pytorch_tanh").qkNorm(true)
                    .rope(new RopeConfig(1_000_000, "linear", 2, 1, 4, 128)).localRope(RopeConfig.plain(10000))
                    .queryPreAttnScalar(6)
                    .slidingWindow(3).slidingLayers(List.of(true, true, false, true, true, false))
                    .tieWordEmbeddings(true)
                    .bosTokenId(2).eosTokenIds(List.of(1)).dtype(DType.F32)
                    .build();
            // phi3: fused qkv_proj / gate_up_proj, half of each head rotating, LongRoPE whose original
            // context (64) the tests' positions stay within (short factors, attention factor √(1 + ln 2 / ln 64)),
            // window 3, untied
            case "phi3" -> phi3(64);
            // phi3 whose original context is 4, without a window (every key stays visible): a batch
            // reaching position 4 or beyond rotates with the long factors
            case "phi3_long" -> phi3(4).toBuilder().slidingWindow(null).build();
            // glm4: sandwich norms, q/k/v bias, fused gate_up_proj, interleaved rotary on half of each head, untied
            case "glm4" -> ModelConfig.builder().modelType("glm4")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).headDim(8).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-5).partialRotaryFactor(0.5).attentionBias(true)
                    .eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // chatglm: fused query_key_value (2 multi-query groups) with bias, fused dense_h_to_4h, interleaved
            // rotary on half of each head with base 10000 * rope_ratio 2, untied output_layer
            case "chatglm" -> ModelConfig.builder().modelType("chatglm")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).headDim(8).maxPositionEmbeddings(128)
                    .rmsNormEps(1e-5).partialRotaryFactor(0.5).attentionBias(true).rope(RopeConfig.plain(20000))
                    .eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // gpt2: LayerNorms with bias, learned positions, fused c_attn, ungated gelu_new MLP, tied
            case "gpt2" -> ModelConfig.builder().modelType("gpt2")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2).numAttentionHeads(4)
                    .maxPositionEmbeddings(128).rmsNormEps(1e-5).hiddenAct("gelu_new").tieWordEmbeddings(true)
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // bloom: ALiBi over 6 heads (4 + 2 slopes), embedding LayerNorm, q/k/v grouped per head, tied
            case "bloom" -> ModelConfig.builder().modelType("bloom")
                    .vocabSize(29).hiddenSize(24).intermediateSize(48).numHiddenLayers(2).numAttentionHeads(6)
                    .maxPositionEmbeddings(128).rmsNormEps(1e-5).hiddenAct("gelu_pytorch_tanh").tieWordEmbeddings(true)
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // falcon, Falcon-7B's layout: one kv head, attention and MLP in parallel off one LayerNorm, RoPE, no biases
            case "falcon" -> ModelConfig.builder().modelType("falcon")
                    .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2).numAttentionHeads(4).numKeyValueHeads(1)
                    .maxPositionEmbeddings(128).rmsNormEps(1e-5).hiddenAct("gelu").parallelNorms(1).tieWordEmbeddings(true)
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                    .build();
            // falcon, new decoder architecture: 2 kv groups, ln_attn and ln_mlp, biases
            case "falcon_new" -> config("falcon").toBuilder().numKeyValueHeads(2).parallelNorms(2)
                    .attentionBias(true).outputProjectionBias(true).mlpBias(true).build();
            default -> throw new IllegalArgumentException(type);
        };
    }

    private static ModelConfig phi3(int originalContext) {
        double attention = Math.sqrt(1 + Math.log(128.0 / originalContext) / Math.log(originalContext));
        return ModelConfig.builder().modelType("phi3")
                .vocabSize(29).hiddenSize(16).intermediateSize(24).numHiddenLayers(2)
                .numAttentionHeads(4).numKeyValueHeads(2).headDim(8).maxPositionEmbeddings(128)
                .rmsNormEps(1e-5).partialRotaryFactor(0.5)
                .rope(RopeConfig.longRope(10000, new double[] {1.0, 1.7}, new double[] {2.0, 5.0}, originalContext, attention))
                .slidingWindow(3)
                .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F32)
                .build();
    }

    static CausalLM build(String type, FinetuneSpec spec, boolean checkpointing) {
        ModelConfig c = config(type);
        return ModelBuilder.build(c, new RandomWeights(c, 7, DType.F32, 0.3), spec,
                new CausalLM.Options(checkpointing, 11));
    }

    /** Two rows of 7 tokens; the first row's prompt is masked with -100. */
    static Batch batch(int vocab) {
        Random rnd = new Random(3);
        int[][] ids = new int[2][7], labels = new int[2][7];
        for (int r = 0; r < 2; r++) {
            for (int t = 0; t < 7; t++) {
                ids[r][t] = rnd.nextInt(vocab);
                labels[r][t] = (r == 0 && t < 3) ? -100 : ids[r][t];
            }
        }
        return Batch.of(ids, labels);
    }

    /** One packed row of 10 tokens holding three examples, positions restarting per example. */
    static Batch packedBatch(int vocab) {
        Random rnd = new Random(5);
        int[] ids = new int[10], labels = new int[10];
        for (int t = 0; t < 10; t++) {
            ids[t] = rnd.nextInt(vocab);
            labels[t] = ids[t];
        }
        labels[0] = labels[4] = labels[7] = -100;
        int[] positions = {0, 1, 2, 3, 0, 1, 2, 0, 1, 2};
        int[] segments = {1, 1, 1, 1, 2, 2, 2, 3, 3, 3};
        return new Batch(1, 10, ids, labels, positions, segments);
    }

    /** Gives LoRA B random values so that A's gradient is not identically zero. */
    static void randomizeLoraB(CausalLM model) {
        Random rnd = new Random(9);
        float[] v = model.parameterValues();
        for (TrainableParameter p : model.trainableParameters()) {
            if (!p.name().endsWith("lora_B.weight")) continue;
            for (int i = 0; i < p.size(); i++) v[p.offset() + i] = (float) (rnd.nextGaussian() * 0.3);
        }
    }
}
