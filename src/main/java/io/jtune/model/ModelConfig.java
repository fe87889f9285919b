package io.jtune.model;

import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.List;

/**
 * The architecture of a decoder-only transformer of the Llama family, as read from a Hugging Face
 * config.json (io.jtune.io.hf parses it, normalising old and new key names). Field meanings follow
 * HF transformers' LlamaConfig / MistralConfig / Qwen2Config / Qwen3Config.
 *
 * @param modelType             "llama", "mistral", "qwen2" or "qwen3"
 * @param headDim               per-head size; hidden_size / num_attention_heads unless config.json says otherwise
 * @param attentionBias         bias on q/k/v projections (always true for qwen2; llama's attention_bias also biases o_proj,
 *                              see {@link #outputProjectionBias})
 * @param outputProjectionBias  bias on o_proj (llama with attention_bias=true)
 * @param mlpBias               bias on gate/up/down (llama's mlp_bias)
 * @param qkNorm                RMSNorm on each head of q and k before RoPE (qwen3)
 * @param slidingWindow         null when attention is fully causal
 * @param dtype                 the checkpoint's dtype (torch_dtype / dtype), null when unspecified
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
        DType dtype) {

    public int qDim() { return numAttentionHeads * headDim; }
    public int kvDim() { return numKeyValueHeads * headDim; }
}
