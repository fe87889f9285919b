package io.jtune.io.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.model.arch.ChatGlm;
import io.jtune.model.arch.Falcon;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.HfConfigKeys;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModuleRole;
import io.jtune.model.arch.PositionEncoding;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a Hugging Face config.json into a {@link ModelConfig}, accepting the key names of every
 * transformers version: rope_theta + rope_scaling (with "type" or "rope_type") as well as the newer
 * rope_parameters, torch_dtype as well as dtype. The family comes from model_type ({@link Families});
 * missing keys take its transformers defaults ({@link ModelFamily.HfDefaults}), and its biases and
 * sliding window are read as its modeling code reads them ({@link HfConfigKeys}). Anything jtune
 * cannot run exactly as transformers would is an error, never a silent approximation.
 */
public final class HfConfigReader {
    // LlamaConfig's defaults, used for every family when config.json leaves these out (Gemma's config
    // classes default to other sizes, but every published Gemma config.json gives all three).
    private static final int HIDDEN_SIZE = 4096;
    private static final int LAYERS = 32;
    private static final int HEADS = 32;

    private static final List<String> ROPE_TYPES = List.of("default", "linear", "dynamic", "llama3");

    private HfConfigReader() {}

    public static ModelConfig read(Path configJson) {
        return parse(JsonKeys.readObject(configJson), configJson);
    }

    /** Parses an already-read config.json; {@code file} names it in messages. */
    public static ModelConfig parse(ObjectNode json, Path file) {
        JsonKeys original = new JsonKeys(file, json, "");
        ModelFamily family = family(original);
        // ChatGLM's config.json has keys of its own (num_layers, padded_vocab_size, kv_channels, ...).
        if (family == ChatGlm.FAMILY) return ChatGlmConfigReader.parse(original);
        boolean falcon = family == Falcon.FAMILY;
        if (falcon) json = FalconKeys.withKeyValueHeads(json, original);
        JsonKeys keys = new JsonKeys(file, withLlamaNames(json, family.hfKeys().keyNames()), "");
        checkFlags(keys, family);
        ModelFamily.HfDefaults defaults = family.defaults();
        checkArchitectures(keys);

        int hidden = keys.positive("hidden_size", HIDDEN_SIZE);
        int layers = keys.positive("num_hidden_layers", LAYERS);
        int heads = keys.positive("num_attention_heads", HEADS);
        // Absent: the family's default; an explicit null means "as many as the query heads" (transformers' rule).
        int kvHeads = keys.positive("num_key_value_heads",
                defaults.numKeyValueHeads() == null || keys.hasKey("num_key_value_heads") ? heads : defaults.numKeyValueHeads());
        if (heads % kvHeads != 0) {
            throw keys.error("num_key_value_heads", "(" + kvHeads + ") must divide num_attention_heads (" + heads + ")");
        }
        int headDim = keys.has("head_dim") ? keys.positive("head_dim", 0)
                : defaults.headDim() != null && !keys.hasKey("head_dim") ? defaults.headDim()
                : defaultHeadDim(keys, hidden, heads);
        int maxPos = keys.positive("max_position_embeddings", defaults.maxPositionEmbeddings());

        String act = activation(keys, family);
        double eps = keys.number("rms_norm_eps", family.hfKeys().keyNames().normEps());
        if (!(eps > 0)) throw keys.error("rms_norm_eps", "must be positive, found " + eps);
        ModelConfig.Builder config = ModelConfig.builder().modelType(family.modelType());
        setBiases(config, keys, family.hfKeys());

        // A token id written as null is unset; only an absent key takes the family default.
        List<Integer> defaultEos = defaults.eosTokenId() == null || keys.hasKey("eos_token_id") ? List.of() : List.of(defaults.eosTokenId());
        Integer bos = keys.hasKey("bos_token_id") ? keys.integerOrNull("bos_token_id") : defaults.bosTokenId();
        config.vocabSize(keys.positive("vocab_size", defaults.vocabSize()))
                .hiddenSize(hidden)
                .intermediateSize(keys.positive("intermediate_size",
                        defaults.intermediateSize() > 0 ? defaults.intermediateSize() : 4 * hidden))
                .numHiddenLayers(layers)
                .numAttentionHeads(heads)
                .numKeyValueHeads(kvHeads)
                .headDim(headDim)
                .maxPositionEmbeddings(maxPos)
                .rmsNormEps(eps)
                .rope(family.hfKeys().readsPartialRotary()
                        ? phi3Rope(keys, maxPos, defaults.ropeTheta(), rotaryDim(keys, headDim))
                        : rope(keys, maxPos, defaults.ropeTheta(), family.hfKeys().localRopeTheta() > 0))
                .partialRotaryFactor(readsPartialRotary(family) ? partialRotaryFactor(keys, defaults.partialRotaryFactor()) : 1.0)
                .localRope(localRope(keys, family.hfKeys().localRopeTheta()))
                .tieWordEmbeddings(keys.bool("tie_word_embeddings", defaults.tieWordEmbeddings()))
                .slidingWindow(slidingWindow(keys, family.hfKeys().slidingWindow(), layers))
                .slidingLayers(slidingLayers(keys, family.hfKeys().slidingWindow(), layers))
                .hiddenAct(act)
                .bosTokenId(bos)
                .eosTokenIds(keys.intOrList("eos_token_id", defaultEos))
                .padTokenId(keys.integerOrNull("pad_token_id"))
                .dtype(dtype(keys));
        setScores(config, keys, family.hfKeys().scores());
        if (falcon) config.parallelNorms(FalconKeys.parallelNorms(keys));
        config.moe(MoeConfigReader.read(keys, family.modelType(), layers));
        if (keys.bool("use_bidirectional_attention", false)) {
            throw keys.error("use_bidirectional_attention", "is true (an embedding model such as EmbeddingGemma); jtune runs causal language models only");
        }
        // q/k norms are the family's (its declaration has the modules), not a config.json key.
        return config.qkNorm(family.has(ModuleRole.Q_NORM, config.build())).build();
    }

    /**
     * config.json with an older config class's keys (GPT-2's n_embd, ...) copied to LlamaConfig's
     * names where those are absent; null values stay absent, so the defaults apply.
     */
    private static ObjectNode withLlamaNames(ObjectNode json, HfConfigKeys.KeyNames names) {
        if (names.aliases().isEmpty()) return json;
        ObjectNode copy = json.deepCopy();
        names.aliases().forEach((llamaName, own) -> {
            if (!copy.hasNonNull(llamaName) && copy.hasNonNull(own)) copy.set(llamaName, copy.get(own));
        });
        return copy;
    }

    /** The family's flags that change its math in ways jtune does not run (GPT-2's scale_attn_by_inverse_layer_idx). */
    private static void checkFlags(JsonKeys keys, ModelFamily family) {
        family.hfKeys().keyNames().requiredFlags().forEach((key, required) -> {
            if (keys.has(key) && keys.bool(key, required) != required) {
                throw keys.error(key, "is " + !required + "; jtune runs " + family.modelType() + " only with " + key + " " + required);
            }
        });
    }

    /**
     * The MLP's activation from the key the family's modeling code reads (hidden_act, or Gemma's
     * hidden_activation); absent or null, the family's own. jtune runs only that one.
     */
    private static String activation(JsonKeys keys, ModelFamily family) {
        String key = family.hfKeys().activationKey();
        if (key == null) return family.activation().hfName();   // the family's modeling code fixes it (BLOOM)
        String act = keys.has(key) ? keys.string(key, null) : family.activation().hfName();
        if (!family.activation().accepts(act)) {
            throw keys.error(key, "is \"" + act + "\"; jtune supports only \"" + family.activation().hfName() + "\" for "
                    + family.modelType());
        }
        return act;
    }

    /** Gemma 2's attention scale and soft-caps, for a family that reads them. */
    private static void setScores(ModelConfig.Builder config, JsonKeys keys, HfConfigKeys.ScoreKeys defaults) {
        if (defaults == null) return;
        if (keys.hasKey("query_pre_attn_scalar")) {
            double scalar = keys.number("query_pre_attn_scalar", 0);
            if (!(scalar > 0)) throw keys.error("query_pre_attn_scalar", "must be positive, found " + scalar);
            config.queryPreAttnScalar(scalar);
        } else {
            config.queryPreAttnScalar(defaults.queryPreAttnScalar());
        }
        config.attnLogitSoftcap(softcap(keys, "attn_logit_softcapping", defaults.attnLogitSoftcapping()));
        config.finalLogitSoftcap(softcap(keys, "final_logit_softcapping", defaults.finalLogitSoftcapping()));
    }

    /** A soft-cap key: absent, the default; null, none; otherwise a positive number. */
    private static double softcap(JsonKeys keys, String key, double absent) {
        if (!keys.hasKey(key)) return absent;
        if (!keys.has(key)) return 0;
        double cap = keys.number(key, 0);
        if (!(cap > 0)) throw keys.error(key, "must be positive or null, found " + cap);
        return cap;
    }

    /** Which projections carry a bias, the way the family's modeling code decides it. */
    private static void setBiases(ModelConfig.Builder config, JsonKeys keys, HfConfigKeys rules) {
        switch (rules.attentionBias()) {
            case NONE -> config.attentionBias(false).outputProjectionBias(false);
            case ALWAYS_QKV -> config.attentionBias(true).outputProjectionBias(false);
            case FROM_ATTENTION_BIAS_KEY -> {
                boolean bias = keys.bool("attention_bias", false);
                config.attentionBias(bias).outputProjectionBias(bias);
            }
            case QKV_FROM_ATTENTION_BIAS_KEY -> config.attentionBias(keys.bool("attention_bias", true)).outputProjectionBias(false);
        }
        config.mlpBias(rules.readsMlpBias() && keys.bool("mlp_bias", false));
    }

    private static ModelFamily family(JsonKeys keys) {
        String modelType = keys.string("model_type", null);
        if (modelType == null) {
            throw new HfModelException(keys.file(), "key \"model_type\" is missing (supported: " + String.join(", ", Families.modelTypes()) + ")");
        }
        ModelFamily family = Families.find(modelType);
        if (family == null) {
            throw keys.error("model_type", "\"" + modelType + "\" is not supported yet (supported: " + String.join(", ", Families.modelTypes()) + ")");
        }
        return family;
    }

    private static void checkArchitectures(JsonKeys keys) {
        List<String> archs = keys.strings("architectures");
        if (archs == null) return;
        for (String a : archs) {
            if (!Families.architectures().contains(a)) {
                throw keys.error("architectures", "names \"" + a + "\", which jtune does not support (supported: "
                        + String.join(", ", Families.architectures()) + ")");
            }
        }
    }

    private static int defaultHeadDim(JsonKeys keys, int hidden, int heads) {
        if (hidden % heads != 0) {
            throw keys.error("hidden_size", "(" + hidden + ") is not a multiple of num_attention_heads (" + heads + ") and no head_dim is given");
        }
        return hidden / heads;
    }

    /**
     * rope_parameters (transformers 5) when present, else rope_theta + rope_scaling; "type" is the
     * old name of "rope_type".
     */
    private static RopeConfig rope(JsonKeys keys, int maxPos, double defaultTheta, boolean perLayerType) {
        JsonKeys params = keys.object("rope_parameters");
        double theta;
        JsonKeys scaling;
        if (params != null && (params.has("full_attention") || params.has("sliding_attention"))) {
            if (!perLayerType) throw keys.error("rope_parameters", "per-layer-type RoPE parameters are not supported for this model_type");
            // transformers 5 writes Gemma 3's two RoPEs per layer type; the global one is full_attention's.
            params = params.object("full_attention");
            if (params == null) throw keys.error("rope_parameters", "has sliding_attention but no full_attention");
        }
        if (params != null) {
            theta = params.number("rope_theta", keys.number("rope_theta", defaultTheta));
            scaling = params;
        } else {
            theta = keys.number("rope_theta", defaultTheta);
            scaling = keys.object("rope_scaling");
        }
        if (!(theta > 0)) throw keys.error(params != null ? "rope_parameters.rope_theta" : "rope_theta", "must be positive, found " + theta);
        if (scaling == null) return RopeConfig.plain(theta);
        String type = scaling.string("rope_type", scaling.string("type", "default"));
        if (!ROPE_TYPES.contains(type)) {
            throw scaling.error("rope_type", "\"" + type + "\" is not supported (supported: " + String.join(", ", ROPE_TYPES) + ")");
        }
        RopeConfig plain = RopeConfig.plain(theta);
        if (type.equals("default")) return plain;
        double factor = required(scaling, "factor", type);
        if (!(factor >= 1)) throw scaling.error("factor", "must be >= 1 for rope_type " + type + ", found " + factor);
        if (type.equals("llama3")) {
            double low = required(scaling, "low_freq_factor", type);
            double high = required(scaling, "high_freq_factor", type);
            if (!(high > low)) throw scaling.error("high_freq_factor", "(" + high + ") must exceed low_freq_factor (" + low + ")");
            int original = (int) required(scaling, "original_max_position_embeddings", type);
            if (original <= 0) throw scaling.error("original_max_position_embeddings", "must be positive");
            return new RopeConfig(theta, type, factor, low, high, original);
        }
        int original = scaling.positive("original_max_position_embeddings", maxPos);
        return new RopeConfig(theta, type, factor, plain.lowFreqFactor(), plain.highFreqFactor(), original);
    }

    /**
     * Whether the family's modeling code reads partial_rotary_factor: Phi-3's, and GLM's interleaved
     * rotary (Glm4Config defaults it to 0.5).
     */
    private static boolean readsPartialRotary(ModelFamily family) {
        return family.hfKeys().readsPartialRotary() || family.positions() == PositionEncoding.ROTARY_INTERLEAVED;
    }

    /** partial_rotary_factor: the share of each head RoPE rotates, in (0, 1]. */
    private static double partialRotaryFactor(JsonKeys keys, double absent) {
        // transformers 5 may keep it in rope_parameters instead of the top level
        JsonKeys params = keys.object("rope_parameters");
        if (!keys.has("partial_rotary_factor") && params != null && params.has("partial_rotary_factor")) {
            double factor = params.number("partial_rotary_factor", absent);
            if (!(factor > 0 && factor <= 1)) throw params.error("partial_rotary_factor", "must be in (0, 1], found " + factor);
            return factor;
        }
        double factor = keys.number("partial_rotary_factor", absent);
        if (!(factor > 0 && factor <= 1)) throw keys.error("partial_rotary_factor", "must be in (0, 1], found " + factor);
        return factor;
    }

    private static int rotaryDim(JsonKeys keys, int headDim) {
        int dim = (int) (headDim * partialRotaryFactor(keys, 1.0));
        if (dim < 2 || dim % 2 != 0) {
            throw keys.error("partial_rotary_factor", "gives a rotary dimension of " + dim + " (head_dim " + headDim + "); it must be even and at least 2");
        }
        return dim;
    }

    /**
     * Phi-3's RoPE: LongRoPE when rope_scaling says so; otherwise rope_theta alone (Phi3Config accepts
     * no other scaling), keeping original_max_position_embeddings (default 4096) for GGUF export.
     */
    private static RopeConfig phi3Rope(JsonKeys keys, int maxPos, double defaultTheta, int rotaryDim) {
        if (isLongRope(keys)) return longRope(keys, maxPos, defaultTheta, rotaryDim);
        JsonKeys scaling = keys.object("rope_scaling");
        if (scaling != null) {
            throw scaling.error("type", "\"" + scaling.string("rope_type", scaling.string("type", "default"))
                    + "\" is not supported for phi3 (supported: longrope, or no rope_scaling)");
        }
        double theta = keys.number("rope_theta", defaultTheta);
        if (!(theta > 0)) throw keys.error("rope_theta", "must be positive, found " + theta);
        RopeConfig plain = RopeConfig.plain(theta);
        return new RopeConfig(theta, "default", 1.0, plain.lowFreqFactor(), plain.highFreqFactor(),
                keys.positive("original_max_position_embeddings", 4096));
    }

    private static boolean isLongRope(JsonKeys keys) {
        JsonKeys scaling = keys.object("rope_scaling");
        return scaling != null && "longrope".equals(scaling.string("rope_type", scaling.string("type", "default")));
    }

    /**
     * Phi-3's LongRoPE, as transformers' longrope init reads it: short_factor and long_factor (one per
     * rotated frequency, rotary dim / 2 each); original_max_position_embeddings from the top level
     * (Phi3Config always has it, default 4096), the scaling factor then being max_position_embeddings /
     * original_max_position_embeddings; rope_scaling's attention_factor, or else
     * √(1 + ln(factor) / ln(original)) (1 when factor ≤ 1).
     */
    private static RopeConfig longRope(JsonKeys keys, int maxPos, double defaultTheta, int rotaryDim) {
        double theta = keys.number("rope_theta", defaultTheta);
        if (!(theta > 0)) throw keys.error("rope_theta", "must be positive, found " + theta);
        JsonKeys scaling = keys.object("rope_scaling");
        int original = keys.positive("original_max_position_embeddings", 4096);
        double[] shortFactor = factors(scaling, "short_factor", rotaryDim / 2);
        double[] longFactor = factors(scaling, "long_factor", rotaryDim / 2);
        double factor = (double) maxPos / original;
        double attention;
        if (scaling.has("attention_factor")) {
            attention = scaling.number("attention_factor", 1.0);
            if (!(attention > 0)) throw scaling.error("attention_factor", "must be positive, found " + attention);
        } else {
            attention = factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        }
        return RopeConfig.longRope(theta, shortFactor, longFactor, original, attention);
    }

    private static double[] factors(JsonKeys scaling, String key, int expected) {
        List<Double> values = scaling.numbers(key);
        if (values == null) throw scaling.error(key, "is required for rope_type longrope");
        if (values.size() != expected) {
            throw scaling.error(key, "has " + values.size() + " entries; rope_type longrope needs " + expected + " (rotary dimension / 2)");
        }
        double[] out = new double[expected];
        for (int i = 0; i < expected; i++) {
            out[i] = values.get(i);
            if (!(out[i] > 0)) throw scaling.error(key, "entry " + i + " must be positive, found " + out[i]);
        }
        return out;
    }

    /**
     * The RoPE of the sliding-window layers for a family that has its own (Gemma 3): base
     * rope_local_base_freq (or rope_parameters.sliding_attention's rope_theta), never scaled; null otherwise.
     */
    private static RopeConfig localRope(JsonKeys keys, double defaultTheta) {
        if (defaultTheta <= 0) return null;
        JsonKeys params = keys.object("rope_parameters");
        JsonKeys sliding = params == null ? null : params.object("sliding_attention");
        double theta = sliding != null ? sliding.number("rope_theta", defaultTheta) : keys.number("rope_local_base_freq", defaultTheta);
        if (!(theta > 0)) throw keys.error("rope_local_base_freq", "must be positive, found " + theta);
        if (sliding != null && !"default".equals(sliding.string("rope_type", "default"))) {
            throw sliding.error("rope_type", "of the sliding-attention layers must be default (transformers scales only the global RoPE)");
        }
        return RopeConfig.plain(theta);
    }

    private static double required(JsonKeys scaling, String key, String type) {
        if (!scaling.has(key)) throw scaling.error(key, "is required for rope_type " + type);
        return scaling.number(key, 0);
    }

    /**
     * The window every layer slides over, or null for fully causal attention; jtune supports all
     * layers sliding or none.
     */
    private static Integer slidingWindow(JsonKeys keys, HfConfigKeys.SlidingWindow rule, int layers) {
        return switch (rule) {
            case NONE -> null;
            case SLIDING_WINDOW_KEY_WITHOUT_DEFAULT -> {
                Integer w = keys.integerOrNull("sliding_window");
                if (w != null && w <= 0) throw keys.error("sliding_window", "must be positive, found " + w);
                yield w;
            }
            case SLIDING_WINDOW_KEY -> {
                if (!keys.hasKey("sliding_window")) yield 4096; // transformers' default; an explicit null means none
                Integer w = keys.integerOrNull("sliding_window");
                if (w != null && w <= 0) throw keys.error("sliding_window", "must be positive, found " + w);
                yield w;
            }
            case EVERY_OTHER_LAYER, PATTERN -> {
                if (keys.hasKey("sliding_window") && !keys.has("sliding_window")) yield null; // explicit null
                int w = keys.integer("sliding_window", 4096);
                if (w <= 0) throw keys.error("sliding_window", "must be positive, found " + w);
                yield w;
            }
            case USE_SLIDING_WINDOW_KEY -> {
                if (!keys.bool("use_sliding_window", false)) yield null;
                if (keys.hasKey("sliding_window") && !keys.has("sliding_window")) yield null; // explicit null
                int w = keys.integer("sliding_window", 4096);
                if (w <= 0) throw keys.error("sliding_window", "must be positive, found " + w);
                List<String> types = keys.strings("layer_types");
                Set<Boolean> sliding = new HashSet<>();
                if (types != null) {
                    for (String t : types) sliding.add(t.equals("sliding_attention"));
                } else {
                    int firstSliding = keys.integer("max_window_layers", 28);
                    for (int i = 0; i < layers; i++) sliding.add(i >= firstSliding);
                }
                if (sliding.size() > 1) {
                    throw keys.error("use_sliding_window", "is true with some layers sliding and some not (max_window_layers / layer_types); "
                            + "jtune supports sliding-window attention on all layers or none");
                }
                yield sliding.contains(true) ? w : null;
            }
        };
    }

    /**
     * Which layers slide, for a family whose layers differ: layer_types when config.json has it
     * ("sliding_attention" / "full_attention"), else the family's rule; null when all layers alike.
     */
    private static List<Boolean> slidingLayers(JsonKeys keys, HfConfigKeys.SlidingWindow rule, int layers) {
        if (rule != HfConfigKeys.SlidingWindow.EVERY_OTHER_LAYER && rule != HfConfigKeys.SlidingWindow.PATTERN) return null;
        List<String> types = keys.strings("layer_types");
        List<Boolean> sliding = new java.util.ArrayList<>();
        if (types != null) {
            if (types.size() != layers) {
                throw keys.error("layer_types", "has " + types.size() + " entries for " + layers + " layers (num_hidden_layers)");
            }
            for (String t : types) {
                if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                    throw keys.error("layer_types", "has \"" + t + "\"; allowed: sliding_attention, full_attention");
                }
                sliding.add(t.equals("sliding_attention"));
            }
        } else if (rule == HfConfigKeys.SlidingWindow.EVERY_OTHER_LAYER) {
            for (int i = 0; i < layers; i++) sliding.add(i % 2 == 0);
        } else {
            // Gemma 3: every pattern-th layer is global, the others slide.
            int pattern = keys.integer("sliding_window_pattern", 6);
            if (pattern < 1) throw keys.error("sliding_window_pattern", "must be positive, found " + pattern);
            for (int i = 0; i < layers; i++) sliding.add((i + 1) % pattern != 0);
        }
        return sliding;
    }

    /** torch_dtype / dtype: null when absent or "auto". */
    static DType dtype(JsonKeys keys) {
        String key = keys.has("dtype") ? "dtype" : "torch_dtype";
        String name = keys.string(key, null);
        if (name == null || name.equals("auto")) return null;
        DType d = DType.fromTorchName(name);
        if (d == null) throw keys.error(key, "\"" + name + "\" is not supported (supported: bfloat16, float16, float32)");
        return d;
    }
}
