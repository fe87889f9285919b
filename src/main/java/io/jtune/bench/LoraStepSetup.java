package io.jtune.bench;

import io.jtune.nn.RopeConfig;
import io.jtune.JtuneException;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.ModelBuilder;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.WeightSource;
import io.jtune.model.StepLoss;
import io.jtune.tensor.DType;
import io.jtune.train.optim.AdamW;
import io.jtune.train.optim.ParamGroup;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The step `jtune bench step` times: LoRA SFT (rank 8, alpha 16, every linear layer but lm_head,
 * batch 1) on a published architecture with random weights, frozen weights stored as {@code frozen}
 * (a dtype, or quantized as quantization_bit does: QLoRA), with or
 * without gradient checkpointing, then an AdamW update of the adapters: the same step
 * benchmarks/torch_lora_step.py runs in PyTorch.
 */
public final class LoraStepSetup implements TrainingStep.Factory {
    public static final int RANK = 8;

    private final String name;
    private final ModelConfig config;
    private final FrozenWeights frozen;
    private final boolean gradientCheckpointing;
    private WeightSource weights;   // built once, shared by every sequence length

    public LoraStepSetup(String architecture, FrozenWeights frozen, boolean gradientCheckpointing) {
        this(displayName(architecture), architecture(architecture), frozen, gradientCheckpointing);
    }

    /** Any architecture, by config (tests use tiny ones). */
    LoraStepSetup(String displayName, ModelConfig config, FrozenWeights frozen, boolean gradientCheckpointing) {
        this.config = config;
        this.frozen = frozen;
        this.gradientCheckpointing = gradientCheckpointing;
        this.name = displayName + " LoRA r" + RANK + " (" + frozen.describe() + ")";
    }

    /** The architectures the benchmark knows, by the names --model accepts ("tiny": a check that the benchmark runs, in seconds). */
    public static List<String> architectures() {
        return List.of("qwen2.5-0.5b", "llama3.2-1b", "gemma2-2b", "phi3-mini", "llama2-7b", "gpt2", "bloom-560m", "qwen1.5-moe-a2.7b",
                "tiny");
    }

    public static ModelConfig architecture(String name) {
        return switch (name) {
            case "qwen2.5-0.5b" -> ModelConfig.builder().modelType("qwen2")
                    .vocabSize(151936).hiddenSize(896).intermediateSize(4864).numHiddenLayers(24)
                    .numAttentionHeads(14).numKeyValueHeads(2).maxPositionEmbeddings(32768)
                    .rope(RopeConfig.plain(1_000_000.0))
                    .tieWordEmbeddings(true).attentionBias(true)
                    .eosTokenIds(List.of(151643)).dtype(DType.BF16)
                    .build();
            case "llama3.2-1b" -> ModelConfig.builder().modelType("llama")
                    .vocabSize(128256).hiddenSize(2048).intermediateSize(8192).numHiddenLayers(16)
                    .numAttentionHeads(32).numKeyValueHeads(8).maxPositionEmbeddings(131072)
                    .rmsNormEps(1e-5).rope(new RopeConfig(500_000.0, "llama3", 32.0, 1.0, 4.0, 8192))
                    .tieWordEmbeddings(true)
                    .bosTokenId(128000).eosTokenIds(List.of(128001)).dtype(DType.BF16)
                    .build();
            // google/gemma-2-2b: head_dim 256 (q 2048 ≠ hidden 2304), soft-caps, window 4096 on even layers
            case "gemma2-2b" -> ModelConfig.builder().modelType("gemma2")
                    .vocabSize(256000).hiddenSize(2304).intermediateSize(9216).numHiddenLayers(26)
                    .numAttentionHeads(8).numKeyValueHeads(4).headDim(256).maxPositionEmbeddings(8192)
                    .rope(RopeConfig.plain(10000.0)).hiddenAct("gelu_pytorch_tanh")
                    .queryPreAttnScalar(256).attnLogitSoftcap(50.0).finalLogitSoftcap(30.0)
                    .slidingWindow(4096).slidingLayers(java.util.stream.IntStream.range(0, 26).mapToObj(i -> i % 2 == 0).toList())
                    .tieWordEmbeddings(true)
                    .bosTokenId(2).eosTokenIds(List.of(1)).dtype(DType.BF16)
                    .build();
            // microsoft/Phi-3-mini-4k-instruct: fused qkv_proj and gate_up_proj, MHA, window 2047, untied
            case "phi3-mini" -> ModelConfig.builder().modelType("phi3")
                    .vocabSize(32064).hiddenSize(3072).intermediateSize(8192).numHiddenLayers(32)
                    .numAttentionHeads(32).numKeyValueHeads(32).maxPositionEmbeddings(4096)
                    .rmsNormEps(1e-5).rope(new RopeConfig(10_000.0, "default", 1.0, 1.0, 4.0, 4096))
                    .slidingWindow(2047).tieWordEmbeddings(false)
                    .bosTokenId(1).eosTokenIds(List.of(32000)).dtype(DType.BF16)
                    .build();
            case "llama2-7b" -> ModelConfig.builder().modelType("llama")
                    .vocabSize(32000).hiddenSize(4096).intermediateSize(11008).numHiddenLayers(32)
                    .numAttentionHeads(32).numKeyValueHeads(32).maxPositionEmbeddings(4096)
                    .rmsNormEps(1e-5).rope(RopeConfig.plain(10_000.0))
                    .tieWordEmbeddings(false)
                    .bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.BF16)
                    .build();
            // openai-community/gpt2 (124M): LayerNorms with bias, learned positions, Conv1D layers, ungated gelu_new MLP, tied
            case "gpt2" -> ModelConfig.builder().modelType("gpt2")
                    .vocabSize(50257).hiddenSize(768).intermediateSize(3072).numHiddenLayers(12)
                    .numAttentionHeads(12).maxPositionEmbeddings(1024).rmsNormEps(1e-5).hiddenAct("gelu_new")
                    .tieWordEmbeddings(true).bosTokenId(50256).eosTokenIds(List.of(50256)).dtype(DType.F32)
                    .build();
            // bigscience/bloom-560m: ALiBi, embedding LayerNorm, query_key_value grouped per head, tied
            case "bloom-560m" -> ModelConfig.builder().modelType("bloom")
                    .vocabSize(250880).hiddenSize(1024).intermediateSize(4096).numHiddenLayers(24)
                    .numAttentionHeads(16).maxPositionEmbeddings(2048).rmsNormEps(1e-5).hiddenAct("gelu_pytorch_tanh")
                    .tieWordEmbeddings(true).bosTokenId(1).eosTokenIds(List.of(2)).dtype(DType.F16)
                    .build();
            // Qwen/Qwen1.5-MoE-A2.7B: 60 experts of width 1408, 4 per token, a shared expert of 5632, untied
            case "qwen1.5-moe-a2.7b" -> ModelConfig.builder().modelType("qwen2_moe")
                    .vocabSize(151936).hiddenSize(2048).intermediateSize(5632).numHiddenLayers(24)
                    .numAttentionHeads(16).numKeyValueHeads(16).maxPositionEmbeddings(8192)
                    .rope(RopeConfig.plain(1_000_000.0)).attentionBias(true).tieWordEmbeddings(false)
                    .moe(new io.jtune.model.arch.MoeConfig(60, 4, 1408, false, 5632, 1, List.of(), 0.001))
                    .eosTokenIds(List.of(151643)).dtype(DType.BF16)
                    .build();
            case "tiny" -> ModelConfig.builder().modelType("qwen2")
                    .vocabSize(512).hiddenSize(64).intermediateSize(128).numHiddenLayers(2)
                    .numAttentionHeads(4).numKeyValueHeads(2).maxPositionEmbeddings(4096)
                    .tieWordEmbeddings(true).attentionBias(true)
                    .eosTokenIds(List.of(1)).dtype(DType.BF16)
                    .build();
            default -> throw new JtuneException("--model: '" + name + "' is not one of " + architectures());
        };
    }

    private static String displayName(String architecture) {
        return switch (architecture) {
            case "qwen2.5-0.5b" -> "Qwen2.5-0.5B";
            case "gemma2-2b" -> "Gemma-2-2B";
            case "phi3-mini" -> "Phi-3-mini";
            case "llama2-7b" -> "Llama-2-7B";
            case "llama3.2-1b" -> "Llama-3.2-1B";
            case "gpt2" -> "GPT-2";
            case "bloom-560m" -> "BLOOM-560M";
            case "qwen1.5-moe-a2.7b" -> "Qwen1.5-MoE-A2.7B";
            default -> "tiny Qwen2";
        };
    }

    @Override
    public String name() {
        return name;
    }

    public ModelConfig config() {
        return config;
    }

    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    @Override
    public TrainingStep create(int seq) {
        if (weights == null) weights = frozen.randomWeights(config, 1234);
        var lora = new FinetuneSpec.Lora(RANK, 16.0, 0.0, List.of("all"), false, List.of());
        var options = new CausalLM.Options(gradientCheckpointing, CausalLM.Options.defaults().seed());
        CausalLM model = ModelBuilder.build(config, weights, FinetuneSpec.lora(lora), options);
        AdamW optimizer = AdamW.withDefaults(model.parameterValues(), model.gradients(),
                ParamGroup.hfDefault(model.trainableParameters(), 0.0));
        int[] ids = new SplittableRandom(7).ints(seq, 0, config.vocabSize()).toArray();
        Batch batch = Batch.of(new int[][] {ids}, new int[][] {ids});
        double flops = StepFlops.loraStep(config, seq, RANK);
        return new TrainingStep() {
            @Override
            public double step() {
                model.zeroGrad();
                StepLoss loss = model.forwardBackward(batch, 1f / (seq - 1));
                optimizer.step(1e-4);
                return loss.mean();
            }

            @Override
            public int tokensPerStep() {
                return seq;
            }

            @Override
            public double flopsPerStep() {
                return flops;
            }
        };
    }
}
