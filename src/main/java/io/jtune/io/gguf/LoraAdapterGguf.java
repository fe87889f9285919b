package io.jtune.io.gguf;

import io.jtune.JtuneException;
import io.jtune.model.arch.Families;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.arch.ModelFamily;
import io.jtune.model.arch.ModelTensor;
import io.jtune.model.arch.ModuleRole;
import io.jtune.tensor.Matrix;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A LoRA adapter as the GGUF adapter file llama.cpp loads with {@code --lora} (and Ollama with
 * {@code ADAPTER}), laid out as llama.cpp's convert_lora_to_gguf.py writes it:
 * <ul>
 *   <li>metadata: general.architecture of the base, general.type "adapter", adapter.type "lora",
 *       adapter.lora.alpha (float32); llama.cpp scales B·A by alpha / r, r read from lora_b;</li>
 *   <li>for every adapted weight {@code W} of GGUF name "blk.N.attn_q.weight": tensors
 *       "blk.N.attn_q.weight.lora_a" of shape [r, in] (ne = [in, r]) and "….lora_b" of shape
 *       [out, r] (ne = [r, out]), PEFT's own layout, in F32 (the converter's default outtype);</li>
 *   <li>for Llama-architecture files the q/k rows of the base are permuted (see
 *       {@link LlamaPermutation}), so the output rows of lora_b are permuted the same way; lora_a,
 *       which acts on the input side, is unchanged.</li>
 * </ul>
 */
public final class LoraAdapterGguf {
    private LoraAdapterGguf() {}

    /** One adapted weight: the base tensor's Hugging Face name, and the adapter's A [r x in] and B [out x r]. */
    public record Pair(String baseName, Matrix a, Matrix b) {}

    /** Writes the adapter file atomically. */
    public static void write(Path target, ModelConfig base, String name, double alpha, List<Pair> pairs) throws IOException {
        LlamaFamilyGguf.Plan plan = plan(base, name, alpha, pairs);
        GgufWriter.write(target, plan.metadata(), plan.tensors());
    }

    public static LlamaFamilyGguf.Plan plan(ModelConfig base, String name, double alpha, List<Pair> pairs) {
        if (pairs.isEmpty()) throw new JtuneException("the adapter has no LoRA weights to write");
        ModelFamily family = Families.find(base.modelType() == null ? null : base.modelType().toLowerCase(Locale.ROOT));
        if (family == null) throw new JtuneException("GGUF adapter export does not support model_type '" + base.modelType() + "'");
        String arch = family.ggufArchitecture();
        GgufMetadata m = new GgufMetadata();
        m.putString("general.architecture", arch);
        m.putString("general.type", "adapter");
        m.putString("general.name", name);
        m.putUint32("general.file_type", GgufFileType.F32.fileTypeId());
        m.putUint32("general.quantization_version", LlamaFamilyGguf.QUANTIZATION_VERSION);
        m.putString("adapter.type", "lora");
        m.putFloat32("adapter.lora.alpha", alpha);

        Map<String, ModelTensor> byHfName = new LinkedHashMap<>();
        for (ModelTensor t : family.tensors(base, !base.tieWordEmbeddings())) byHfName.put(t.name(), t);
        boolean permuteQK = arch.equals("llama");
        List<String> order = new ArrayList<>(byHfName.keySet());
        List<Pair> sorted = new ArrayList<>(pairs);
        // the model's tensor order (layer by layer), as the converter walks the checkpoint
        sorted.sort(java.util.Comparator.comparingInt(p -> order.indexOf(p.baseName()) < 0 ? Integer.MAX_VALUE : order.indexOf(p.baseName())));
        List<GgufTensor> tensors = new ArrayList<>();
        for (Pair p : sorted) {
            ModelTensor t = byHfName.get(p.baseName());
            if (t == null || t.vector()) {
                String why = p.baseName().equals("lm_head.weight") && base.tieWordEmbeddings()
                        ? " (the model ties lm_head to the embeddings, and llama.cpp has no separate output tensor to adapt)" : "";
                throw new JtuneException("the adapter trains " + p.baseName() + ", which is not a weight matrix of a "
                        + base.modelType() + " model in GGUF" + why);
            }
            checkShapes(p, t);
            TensorRows b = TensorRows.of(p.b());
            int heads = permuteQK ? heads(t.role(), base) : 0;
            if (heads > 0) b = b.reorderRows(LlamaPermutation.sourceRows(t.rows(), heads, t.name()));
            // B's rows follow the base's: a grouped query_key_value (BLOOM, Falcon) is regrouped as in the model file
            if (t.role() == ModuleRole.QKV_PROJ_GROUPED) b = b.reorderRows(LlamaFamilyGguf.ungroupedRows(base));
            tensors.add(GgufTensor.matrix(t.gguf() + ".lora_a", GgmlType.F32, TensorRows.of(p.a())));
            tensors.add(GgufTensor.matrix(t.gguf() + ".lora_b", GgmlType.F32, b));
        }
        return new LlamaFamilyGguf.Plan(m, tensors);
    }

    private static int heads(ModuleRole role, ModelConfig c) {
        return switch (role) {
            case Q_PROJ -> c.numAttentionHeads();
            case K_PROJ -> c.numKeyValueHeads();
            default -> 0;
        };
    }

    /** llama.cpp's checks: a.ne[0] == W.ne[0] (in), b.ne[1] == W.ne[1] (out), a.ne[1] == b.ne[0] (r). */
    private static void checkShapes(Pair p, ModelTensor t) {
        int r = p.a().rows();
        if (p.a().cols() != t.cols() || p.b().rows() != t.rows() || p.b().cols() != r) {
            throw new JtuneException("LoRA weights of " + p.baseName() + " have A [" + p.a().rows() + ", " + p.a().cols() + "] and B ["
                    + p.b().rows() + ", " + p.b().cols() + "]; the base weight is [" + t.rows() + ", " + t.cols()
                    + "], so A must be [r, " + t.cols() + "] and B [" + t.rows() + ", r]");
        }
    }
}
