package io.jtune.model;

import io.jtune.JtuneException;
import io.jtune.nn.Kernels;
import io.jtune.nn.ParallelTasks;
import io.jtune.tensor.Matrix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Builds a {@link CausalLM} from a config, a weight source and a fine-tuning spec: checks every
 * tensor against the shapes the config implies (and for NaN/Inf), decides what trains, keeps frozen
 * weights in the checkpoint's dtype, copies trainable ones into one fp32 store and initialises
 * LoRA adapters as PEFT does (A Kaiming-uniform with a = √5, i.e. U(±1/√in); B zero).
 */
public final class ModelBuilder {
    static final Set<String> SUPPORTED = Set.of("llama", "mistral", "qwen2", "qwen3");

    /** One tensor the architecture expects. */
    private record Expected(String name, String module, int rows, int cols, boolean vector) {}

    private final ModelConfig config;
    private final WeightSource weights;
    private final CausalLM.Options options;
    private final ParameterStore store = new ParameterStore();
    private final List<Runnable> afterAllocation = new ArrayList<>();
    private TrainableSelection selection;

    private ModelBuilder(ModelConfig config, WeightSource weights, CausalLM.Options options) {
        this.config = config;
        this.weights = weights;
        this.options = options;
    }

    public static CausalLM build(ModelConfig config, WeightSource weights, FinetuneSpec spec, CausalLM.Options options) {
        return new ModelBuilder(config, weights, options).build(spec);
    }

    private CausalLM build(FinetuneSpec spec) {
        validate(config);
        boolean lora = spec.type() == FinetuneSpec.Type.LORA;
        // PEFT wraps lm_head separately even when tied, so in LoRA mode it is its own (frozen) module.
        boolean sharedHead = config.tieWordEmbeddings() && !lora;
        List<Expected> expected = expectedTensors(!config.tieWordEmbeddings() || lora);
        List<String> paramNames = new ArrayList<>(), modules = new ArrayList<>();
        for (Expected e : expected) {
            if (sharedHead && e.name.equals("lm_head.weight")) continue;
            paramNames.add(e.name);
            if (!modules.contains(e.module)) modules.add(e.module);
        }
        selection = TrainableSelection.resolve(spec, config.numHiddenLayers(), paramNames, modules);
        checkNoExtraTensors(expected);

        Param embed = param(find(expected, "model.embed_tokens.weight"));
        DecoderLayer[] layers = new DecoderLayer[config.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) layers[l] = layer(l, expected, spec);
        Param finalNorm = param(find(expected, "model.norm.weight"));
        Param lmHead = sharedHead ? embed : param(find(expected, "lm_head.weight"));
        store.allocate();
        afterAllocation.forEach(Runnable::run);
        return new CausalLM(config, Kernels.CPU, options, embed, finalNorm, lmHead, layers, store);
    }

    static void validate(ModelConfig c) {
        if (!SUPPORTED.contains(c.modelType())) {
            throw new JtuneException("model_type '" + c.modelType() + "' is not supported; supported: "
                    + String.join(", ", new TreeSet<>(SUPPORTED)));
        }
        if (c.hiddenAct() != null && !c.hiddenAct().equals("silu")) {
            throw new JtuneException("hidden_act '" + c.hiddenAct() + "' is not supported; supported: silu");
        }
        if (c.numAttentionHeads() < 1 || c.numKeyValueHeads() < 1 || c.numAttentionHeads() % c.numKeyValueHeads() != 0) {
            throw new JtuneException("num_attention_heads (" + c.numAttentionHeads()
                    + ") must be a positive multiple of num_key_value_heads (" + c.numKeyValueHeads() + ")");
        }
        if (c.headDim() < 2 || c.headDim() % 2 != 0) throw new JtuneException("head_dim must be even, was " + c.headDim());
        if (c.hiddenSize() < 1 || c.intermediateSize() < 1 || c.vocabSize() < 1 || c.numHiddenLayers() < 1) {
            throw new JtuneException("hidden_size, intermediate_size, vocab_size and num_hidden_layers must be positive");
        }
    }

    /** Every tensor of the architecture in torch's named_parameters order, with its shape. */
    private List<Expected> expectedTensors(boolean withLmHead) {
        int h = config.hiddenSize(), i = config.intermediateSize(), q = config.qDim(), kv = config.kvDim();
        List<Expected> out = new ArrayList<>();
        out.add(new Expected("model.embed_tokens.weight", "model.embed_tokens", config.vocabSize(), h, false));
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            linear(out, p + "self_attn.q_proj", q, h, config.attentionBias());
            linear(out, p + "self_attn.k_proj", kv, h, config.attentionBias());
            linear(out, p + "self_attn.v_proj", kv, h, config.attentionBias());
            linear(out, p + "self_attn.o_proj", h, q, config.outputProjectionBias());
            if (config.qkNorm()) {
                out.add(new Expected(p + "self_attn.q_norm.weight", p + "self_attn.q_norm", 1, config.headDim(), true));
                out.add(new Expected(p + "self_attn.k_norm.weight", p + "self_attn.k_norm", 1, config.headDim(), true));
            }
            linear(out, p + "mlp.gate_proj", i, h, config.mlpBias());
            linear(out, p + "mlp.up_proj", i, h, config.mlpBias());
            linear(out, p + "mlp.down_proj", h, i, config.mlpBias());
            out.add(new Expected(p + "input_layernorm.weight", p + "input_layernorm", 1, h, true));
            out.add(new Expected(p + "post_attention_layernorm.weight", p + "post_attention_layernorm", 1, h, true));
        }
        out.add(new Expected("model.norm.weight", "model.norm", 1, h, true));
        if (withLmHead) out.add(new Expected("lm_head.weight", "lm_head", config.vocabSize(), h, false));
        return out;
    }

    private static void linear(List<Expected> out, String module, int rows, int cols, boolean bias) {
        out.add(new Expected(module + ".weight", module, rows, cols, false));
        if (bias) out.add(new Expected(module + ".bias", module, 1, rows, true));
    }

    private static Expected find(List<Expected> expected, String name) {
        for (Expected e : expected) if (e.name.equals(name)) return e;
        throw new IllegalStateException(name);
    }

    private void checkNoExtraTensors(List<Expected> expected) {
        Set<String> known = new HashSet<>();
        for (Expected e : expected) known.add(e.name);
        List<String> extra = new ArrayList<>();
        for (String name : weights.names()) {
            boolean ignorable = name.endsWith("rotary_emb.inv_freq")
                    || (name.equals("lm_head.weight") && config.tieWordEmbeddings());
            if (!known.contains(name) && !ignorable) extra.add(name);
        }
        if (!extra.isEmpty()) {
            throw new JtuneException(weights.describe() + " has tensor(s) a " + config.modelType()
                    + " model with this config does not use: " + String.join(", ", extra.subList(0, Math.min(5, extra.size())))
                    + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : ""));
        }
    }

    /** The checkpoint tensor for e, checked for presence, shape and finiteness. */
    private Matrix source(Expected e) {
        // A tied lm_head reads the embedding (only reached in LoRA mode, where lm_head is its own module).
        String name = e.name.equals("lm_head.weight") && config.tieWordEmbeddings() ? "model.embed_tokens.weight" : e.name;
        Matrix m = weights.tensor(name);
        if (m == null) {
            throw new JtuneException(weights.describe() + " is missing tensor " + name + " (expected shape "
                    + shape(e) + ")");
        }
        boolean fits = e.vector
                ? (long) m.rows() * m.cols() == e.cols && (m.rows() == 1 || m.cols() == 1)
                : m.rows() == e.rows && m.cols() == e.cols;
        if (!fits) {
            throw new JtuneException("tensor " + name + " in " + weights.describe() + " has shape [" + m.rows() + " x "
                    + m.cols() + "] but config.json implies " + shape(e));
        }
        requireFinite(name, m);
        return m;
    }

    private static String shape(Expected e) {
        return e.vector ? "[" + e.cols + "]" : "[" + e.rows + " x " + e.cols + "]";
    }

    private void requireFinite(String name, Matrix m) {
        int rows = m.rows(), cols = m.cols();
        int chunks = ParallelTasks.chunks(rows, 64);
        long[] firstBad = new long[chunks];
        ParallelTasks.forEach(chunks, c -> {
            float[] row = new float[cols];
            firstBad[c] = -1;
            for (int r = rows * c / chunks, hi = rows * (c + 1) / chunks; r < hi && firstBad[c] < 0; r++) {
                m.readRow(r, 0, cols, row, 0);
                for (int j = 0; j < cols; j++) {
                    if (!Float.isFinite(row[j])) {
                        firstBad[c] = (long) r * cols + j;
                        break;
                    }
                }
            }
        });
        for (long bad : firstBad) {
            if (bad >= 0) {
                throw new JtuneException("tensor " + name + " in " + weights.describe() + " holds a non-finite value (NaN or Inf) at ["
                        + bad / cols + ", " + bad % cols + "]");
            }
        }
    }

    /** A trainable fp32 copy or a frozen view of the checkpoint tensor. */
    private Param param(Expected e) {
        Matrix src = source(e);
        if (!selection.trains(e.name)) {
            return e.vector ? Param.frozenVector(e.name, src) : Param.frozenMatrix(e.name, src);
        }
        Param p = store.register(selection.savedName(e.name), e.rows, e.cols);
        afterAllocation.add(() -> ParameterStore.copyFrom(src, p));
        return p;
    }

    private DecoderLayer layer(int l, List<Expected> expected, FinetuneSpec spec) {
        String p = "model.layers." + l + ".";
        String[] paths = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        LinearModule[] modules = new LinearModule[paths.length];
        Param qNorm = null, kNorm = null;
        for (int slot = 0; slot < paths.length; slot++) {
            modules[slot] = linearModule(p + paths[slot], slot, expected, spec);
            if (slot == DecoderLayer.O && config.qkNorm()) {
                qNorm = param(find(expected, p + "self_attn.q_norm.weight"));
                kNorm = param(find(expected, p + "self_attn.k_norm.weight"));
            }
        }
        Param inputNorm = param(find(expected, p + "input_layernorm.weight"));
        Param postNorm = param(find(expected, p + "post_attention_layernorm.weight"));
        return new DecoderLayer(l, inputNorm, postNorm, qNorm, kNorm, modules);
    }

    private LinearModule linearModule(String path, int slot, List<Expected> expected, FinetuneSpec spec) {
        Param weight = param(find(expected, path + ".weight"));
        Param bias = null;
        for (Expected e : expected) if (e.name.equals(path + ".bias")) bias = param(e);
        if (!selection.hasLora(path)) return new LinearModule(path, slot, weight, bias, null, null, 0f, 0f);
        FinetuneSpec.Lora lora = spec.lora();
        int r = lora.rank();
        String prefix = "base_model.model." + path;
        Param a = store.register(prefix + ".lora_A.weight", r, weight.cols);
        Param b = store.register(prefix + ".lora_B.weight", weight.rows, r);
        afterAllocation.add(() -> initLoraA(a));  // B stays zero: the adapter starts as a no-op
        return new LinearModule(path, slot, weight, bias, a, b, lora.scale(), (float) lora.dropout());
    }

    /** kaiming_uniform_(a=√5) on [r x in]: bound = √(6 / ((1 + 5)·in)) = 1/√in. */
    private void initLoraA(Param a) {
        SplittableRandom rnd = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + a.name.hashCode());
        double bound = 1.0 / Math.sqrt(a.cols);
        for (int i = 0; i < a.size(); i++) a.data[a.offset + i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
    }
}
