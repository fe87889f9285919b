package io.jtune.io.hf;

import io.jtune.model.arch.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The tensors a Hugging Face checkpoint of a {@link ModelConfig} holds, with their shapes, in the
 * order transformers' state_dict lists them (module registration order), which is also the order
 * save_pretrained shards them in. Linear weights are [out_features, in_features].
 */
public final class HfTensorNames {
    private HfTensorNames() {}

    /** One expected tensor: its HF name and shape. */
    public record Expected(String name, long[] shape) {}

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    /**
     * Tensors some checkpoints carry that transformers ignores on load: the RoPE inverse
     * frequencies older versions saved, and lm_head.weight when embeddings are tied (transformers
     * overwrites it with the embedding).
     */
    private static final Pattern IGNORED_ROPE_BUFFER = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    /** "model.layers.{layer}.{suffix}", e.g. layer(3, "mlp.up_proj.weight"). */
    public static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }

    public static List<Expected> expected(ModelConfig c) {
        long hidden = c.hiddenSize();
        long q = c.qDim();
        long kv = c.kvDim();
        long inter = c.intermediateSize();
        List<Expected> out = new ArrayList<>();
        out.add(new Expected(EMBED_TOKENS, new long[] {c.vocabSize(), hidden}));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            linear(out, layer(i, "self_attn.q_proj"), q, hidden, c.attentionBias());
            linear(out, layer(i, "self_attn.k_proj"), kv, hidden, c.attentionBias());
            linear(out, layer(i, "self_attn.v_proj"), kv, hidden, c.attentionBias());
            linear(out, layer(i, "self_attn.o_proj"), hidden, q, c.outputProjectionBias());
            if (c.qkNorm()) {
                out.add(new Expected(layer(i, "self_attn.q_norm.weight"), new long[] {c.headDim()}));
                out.add(new Expected(layer(i, "self_attn.k_norm.weight"), new long[] {c.headDim()}));
            }
            linear(out, layer(i, "mlp.gate_proj"), inter, hidden, c.mlpBias());
            linear(out, layer(i, "mlp.up_proj"), inter, hidden, c.mlpBias());
            linear(out, layer(i, "mlp.down_proj"), hidden, inter, c.mlpBias());
            out.add(new Expected(layer(i, "input_layernorm.weight"), new long[] {hidden}));
            out.add(new Expected(layer(i, "post_attention_layernorm.weight"), new long[] {hidden}));
        }
        out.add(new Expected(FINAL_NORM, new long[] {hidden}));
        if (!c.tieWordEmbeddings()) out.add(new Expected(LM_HEAD, new long[] {c.vocabSize(), hidden}));
        return out;
    }

    private static void linear(List<Expected> out, String module, long outFeatures, long inFeatures, boolean bias) {
        out.add(new Expected(module + ".weight", new long[] {outFeatures, inFeatures}));
        if (bias) out.add(new Expected(module + ".bias", new long[] {outFeatures}));
    }

    /** True for a tensor that may sit in a checkpoint without being expected (see above). */
    public static boolean isIgnorable(String name, ModelConfig c) {
        return IGNORED_ROPE_BUFFER.matcher(name).matches() || (c.tieWordEmbeddings() && name.equals(LM_HEAD));
    }
}
