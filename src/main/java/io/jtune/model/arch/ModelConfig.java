package io.jtune.model.arch;

import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.List;

/**
 * The architecture of a decoder-only transformer, as read from a Hugging Face config.json (io.jtune.io.hf
 * parses it, normalising old and new key names). Field meanings follow HF transformers' config classes
 * (LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config); which tensors and ops a model of
 * {@link #modelType} has is its {@link ModelFamily}'s business, found through {@link Families}.
 *
 * <p>Build one with {@link #builder()}: unset sizes take LlamaConfig's defaults, and
 * num_key_value_heads and head_dim are derived as transformers derives them.
 *
 * @param modelType             config.json's model_type, e.g. "llama", "qwen2"
 * @param headDim               per-head size; hidden_size / num_attention_heads unless config.json says otherwise
 * @param attentionBias         bias on q/k/v projections (always true for qwen2; llama's attention_bias also biases o_proj,
 *                              see {@link #outputProjectionBias})
 * @param outputProjectionBias  bias on o_proj (llama with attention_bias=true)
 * @param mlpBias               bias on gate/up/down (llama's mlp_bias)
 * @param qkNorm                RMSNorm on each head of q and k before RoPE (qwen3)
 * @param slidingWindow         null when attention is fully causal
 * @param dtype                 the checkpoint's dtype (torch_dtype / dtype), null when unspecified
 * @param slidingLayers         which layers use {@link #slidingWindow} (Gemma 2 and 3 alternate); null means every layer
 * @param queryPreAttnScalar    attention scores are scaled by this^-½ (Gemma 2/3's query_pre_attn_scalar); 0 means head_dim
 * @param attnLogitSoftcap      attention scores are soft-capped, cap·tanh(s / cap) (Gemma 2); 0 means none
 * @param finalLogitSoftcap     the LM head's logits are soft-capped likewise (Gemma 2); 0 means none
 * @param localRope             RoPE of the sliding-window layers when it differs from {@link #rope} (Gemma 3's
 *                              rope_local_base_freq); null means the same
 * @param partialRotaryFactor   the share of each head that rotates (Phi-3's partial_rotary_factor; 1 elsewhere)
 * @param parallelNorms         0 for the sequential block x + attn, then + mlp; otherwise attention and the MLP both
 *                              read the block's input and their outputs are added to it together (Falcon's
 *                              parallel_attn), off 1 shared LayerNorm (Falcon-7B) or 2 of their own (ln_attn and
 *                              ln_mlp, the new decoder architecture of Falcon-40B/180B)
 * @param moe                   the sparse Mixture-of-Experts settings (Mixtral, Qwen-MoE); null for a dense model
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        RopeConfig rope,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean outputProjectionBias,
        boolean mlpBias,
        boolean qkNorm,
        Integer slidingWindow,
        String hiddenAct,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        DType dtype,
        List<Boolean> slidingLayers,
        double queryPreAttnScalar,
        double attnLogitSoftcap,
        double finalLogitSoftcap,
        RopeConfig localRope,
        double partialRotaryFactor,
        int parallelNorms,
        MoeConfig moe) {

    public int qDim() { return numAttentionHeads * headDim; }
    public int kvDim() { return numKeyValueHeads * headDim; }

    /** The sliding window of layer {@code layer}, or null when it attends to everything before it. */
    public Integer slidingWindow(int layer) {
        if (slidingWindow == null) return null;
        return slidingLayers == null || slidingLayers.get(layer) ? slidingWindow : null;
    }

    /** The RoPE of layer {@code layer}: {@link #localRope} on a sliding layer when there is one, else {@link #rope}. */
    public RopeConfig rope(int layer) {
        return localRope != null && slidingWindow(layer) != null ? localRope : rope;
    }

    /** What q·k is multiplied by: query_pre_attn_scalar^-½ when given, else head_dim^-½. */
    /**
     * How many entries of each q and k head rotate: head_dim · partial_rotary_factor (Phi-4-mini:
     * 0.75), truncated as transformers' int() does; the rest of the head passes through.
     */
    public int rotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    public double attentionScale() {
        return 1.0 / Math.sqrt(queryPreAttnScalar > 0 ? queryPreAttnScalar : headDim);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelType = modelType;
        b.vocabSize = vocabSize;
        b.hiddenSize = hiddenSize;
        b.intermediateSize = intermediateSize;
        b.numHiddenLayers = numHiddenLayers;
        b.numAttentionHeads = numAttentionHeads;
        b.numKeyValueHeads = numKeyValueHeads;
        b.headDim = headDim;
        b.maxPositionEmbeddings = maxPositionEmbeddings;
        b.rmsNormEps = rmsNormEps;
        b.rope = rope;
        b.tieWordEmbeddings = tieWordEmbeddings;
        b.attentionBias = attentionBias;
        b.outputProjectionBias = outputProjectionBias;
        b.mlpBias = mlpBias;
        b.qkNorm = qkNorm;
        b.slidingWindow = slidingWindow;
        b.hiddenAct = hiddenAct;
        b.bosTokenId = bosTokenId;
        b.eosTokenIds = eosTokenIds;
        b.padTokenId = padTokenId;
        b.dtype = dtype;
        b.slidingLayers = slidingLayers;
        b.queryPreAttnScalar = queryPreAttnScalar;
        b.attnLogitSoftcap = attnLogitSoftcap;
        b.finalLogitSoftcap = finalLogitSoftcap;
        b.localRope = localRope;
        b.partialRotaryFactor = partialRotaryFactor;
        b.parallelNorms = parallelNorms;
        b.moe = moe;
        return b;
    }

    /** Named setters with LlamaConfig's defaults; 0 for kv heads or head_dim means "derive it". */
    public static final class Builder {
        private String modelType = "llama";
        private int vocabSize = 32000;
        private int hiddenSize = 4096;
        private int intermediateSize = 11008;
        private int numHiddenLayers = 32;
        private int numAttentionHeads = 32;
        private int numKeyValueHeads;
        private int headDim;
        private int maxPositionEmbeddings = 2048;
        private double rmsNormEps = 1e-6;
        private RopeConfig rope = RopeConfig.plain(10000);
        private boolean tieWordEmbeddings;
        private boolean attentionBias;
        private boolean outputProjectionBias;
        private boolean mlpBias;
        private boolean qkNorm;
        private Integer slidingWindow;
        private String hiddenAct = "silu";
        private Integer bosTokenId;
        private List<Integer> eosTokenIds = List.of();
        private Integer padTokenId;
        private DType dtype;
        private List<Boolean> slidingLayers;
        private double queryPreAttnScalar;
        private double attnLogitSoftcap;
        private double finalLogitSoftcap;
        private RopeConfig localRope;
        private double partialRotaryFactor = 1.0;
        private int parallelNorms;
        private MoeConfig moe;

        private Builder() {}

        public Builder modelType(String v) { modelType = v; return this; }
        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder numHiddenLayers(int v) { numHiddenLayers = v; return this; }
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
        public Builder numKeyValueHeads(int v) { numKeyValueHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        public Builder rope(RopeConfig v) { rope = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder attentionBias(boolean v) { attentionBias = v; return this; }
        public Builder outputProjectionBias(boolean v) { outputProjectionBias = v; return this; }
        public Builder mlpBias(boolean v) { mlpBias = v; return this; }
        public Builder qkNorm(boolean v) { qkNorm = v; return this; }
        public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }
        public Builder hiddenAct(String v) { hiddenAct = v; return this; }
        public Builder bosTokenId(Integer v) { bosTokenId = v; return this; }
        public Builder eosTokenIds(List<Integer> v) { eosTokenIds = v; return this; }
        public Builder padTokenId(Integer v) { padTokenId = v; return this; }
        public Builder dtype(DType v) { dtype = v; return this; }
        public Builder slidingLayers(List<Boolean> v) { slidingLayers = v == null ? null : List.copyOf(v); return this; }
        public Builder queryPreAttnScalar(double v) { queryPreAttnScalar = v; return this; }
        public Builder attnLogitSoftcap(double v) { attnLogitSoftcap = v; return this; }
        public Builder finalLogitSoftcap(double v) { finalLogitSoftcap = v; return this; }
        public Builder localRope(RopeConfig v) { localRope = v; return this; }
        public Builder partialRotaryFactor(double v) { partialRotaryFactor = v; return this; }
        public Builder parallelNorms(int v) { parallelNorms = v; return this; }
        public Builder moe(MoeConfig v) { moe = v; return this; }

        public ModelConfig build() {
            int kvHeads = numKeyValueHeads > 0 ? numKeyValueHeads : numAttentionHeads;
            int dim = headDim > 0 ? headDim : hiddenSize / Math.max(1, numAttentionHeads);
            return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                    kvHeads, dim, maxPositionEmbeddings, rmsNormEps, rope, tieWordEmbeddings, attentionBias,
                    outputProjectionBias, mlpBias, qkNorm, slidingWindow, hiddenAct, bosTokenId, eosTokenIds,
                    padTokenId, dtype, slidingLayers, queryPreAttnScalar, attnLogitSoftcap, finalLogitSoftcap, localRope,
                    partialRotaryFactor, parallelNorms, moe);
        }
    }
}
