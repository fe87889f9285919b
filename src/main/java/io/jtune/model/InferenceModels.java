package io.jtune.model;

import io.jtune.model.arch.ModelConfig;
import io.jtune.tensor.Bf16Panels;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Builds models for generation only, through the same {@link ModelBuilder} that training uses (one
 * place checks shapes, dtypes and NaNs).
 */
public final class InferenceModels {
    private InferenceModels() {}

    /** The base model with every weight frozen in the checkpoint's dtype (memory-mapped as stored). */
    public static CausalLM frozen(ModelConfig config, WeightSource weights) {
        return ModelBuilder.frozen(config, weights);
    }

    /**
     * Rearranges {@code model}'s frozen bf16 weights that matrix products read (every linear module's
     * and the LM head) into {@link Bf16Panels}, the layout decoding multiplies fastest, and returns
     * the model. The values are the same; each product's sums run in the blocked GEMM's order (see
     * {@link io.jtune.tensor.Gemm}), so a sequence gets the same bits alone, batched or prefilled.
     * For generation only: training's backward reads weight columns, which panels make slow. Costs a
     * copy of those weights (the memory-mapped originals' pages are let go) and about half a second per GB.
     */
    public static CausalLM arrangedForDecoding(CausalLM model) {
        ModelWeights w = model.baseWeights();
        Set<Param> products = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        products.add(w.lmHead);
        for (DecoderLayer layer : w.layers) {
            for (LinearModule m : layer.modules) products.add(m.weight);
            if (layer.moe != null) {
                products.add(layer.moe.router.weight);
                for (LinearModule[] expert : layer.moe.expertModules) for (LinearModule m : expert) products.add(m.weight);
                if (layer.moe.shared != null) for (LinearModule m : layer.moe.shared) products.add(m.weight);
            }
        }
        for (Param p : products) {
            if (p != null && !p.trainable() && Bf16Panels.canArrange(p.matrix)) p.matrix = Bf16Panels.of(p.matrix);
        }
        return model;
    }

    /**
     * The base model with a LoRA adapter on the modules {@code lora} names, which passes and sessions
     * use by default (frozen base weights, fp32 adapter initialised as PEFT does; load the adapter's
     * values into {@link CausalLM#adapter()}'s parameters afterwards).
     */
    public static CausalLM withLora(ModelConfig config, WeightSource weights, FinetuneSpec.Lora lora) {
        CausalLM model = ModelBuilder.frozen(config, weights);
        model.setTrainingAdapter(LoraAdapter.attach(model, "default", lora, 0));
        return model;
    }

    /**
     * The model with {@code adapter} merged into its weights, as PEFT's merge_and_unload: each tensor the
     * adapter changes becomes an fp32 copy of W + scale·B·A (or the adapter's trained copy), every other
     * tensor is read from {@code weights} (the source {@code adapter.base()} was built from) as it is.
     * Memory: 4 bytes per element of the changed tensors.
     */
    public static CausalLM merged(LoraAdapter adapter, WeightSource weights) {
        java.util.Set<String> changed = adapter.changedTensors();
        CausalLM base = adapter.base();
        WeightSource mergedSource = new WeightSource() {
            @Override
            public io.jtune.tensor.Matrix tensor(String name) {
                io.jtune.tensor.Matrix original = weights.tensor(name);
                if (original == null || !changed.contains(name)) return original;
                return io.jtune.tensor.Matrix.of(base.mergedWeight(name, adapter), original.rows(), original.cols());
            }

            @Override
            public java.util.Set<String> names() {
                return weights.names();
            }

            @Override
            public String describe() {
                return weights.describe() + " with adapter '" + adapter.name() + "' merged";
            }
        };
        return ModelBuilder.frozen(base.config(), mergedSource);
    }

    /** A frozen model's own weights as a source, by HF name (what the next merge reads; nothing is copied). */
    public static WeightSource source(CausalLM model) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (io.jtune.model.arch.ModelTensor t : model.family().checkpointTensors(model.config())) names.add(t.name());
        return new WeightSource() {
            @Override
            public io.jtune.tensor.Matrix tensor(String name) {
                Param p = names.contains(name) ? model.baseParam(name) : null;
                return p == null ? null : p.matrix;
            }

            @Override
            public java.util.Set<String> names() {
                return names;
            }

            @Override
            public String describe() {
                return "the merged model";
            }
        };
    }
}
