package io.jtune.model.arch;

import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * One module of a family's declaration: its role, its path in the Hugging Face checkpoint (inside
 * "model.layers.{i}." for a layer module), its GGUF base name (inside "blk.{i}." for a layer module),
 * and rules that give its shape, bias and presence from the config.
 *
 * @param kind      how its tensors are shaped: a linear layer [out x in] (+ bias [out]), an embedding
 *                  [vocab x hidden], or a norm weight [out]
 * @param out       rows of the weight (or the length of a norm weight)
 * @param in        columns of the weight (unused for norms)
 * @param hasBias   whether the config gives this linear layer (or LayerNorm) a bias
 * @param present   whether a model of this config has the module at all
 * @param transposed whether the checkpoint stores the weight as [in x out] (GPT-2's Conv1D); the engine
 *                  always holds [out x in], transposing at load and back when it writes HF files
 */
public record ModuleSpec(ModuleRole role, Kind kind, String hfPath, String ggufName, ToIntFunction<ModelConfig> out,
                         ToIntFunction<ModelConfig> in, Predicate<ModelConfig> hasBias, Predicate<ModelConfig> present,
                         boolean transposed) {

    public enum Kind { LINEAR, EMBEDDING, NORM }

    public static ModuleSpec linear(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> out,
                                    ToIntFunction<ModelConfig> in, Predicate<ModelConfig> hasBias) {
        return new ModuleSpec(role, Kind.LINEAR, hfPath, ggufName, out, in, hasBias, c -> true, false);
    }

    /**
     * transformers' Conv1D (GPT-2): a linear layer y = x·W + b whose weight the checkpoint stores as
     * [in x out], the transpose of nn.Linear's. PEFT adapts it with fan_in_fan_out.
     */
    public static ModuleSpec conv1d(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> out,
                                    ToIntFunction<ModelConfig> in) {
        return new ModuleSpec(role, Kind.LINEAR, hfPath, ggufName, out, in, c -> true, c -> true, true);
    }

    public static ModuleSpec norm(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> width) {
        return new ModuleSpec(role, Kind.NORM, hfPath, ggufName, width, c -> 1, c -> false, c -> true, false);
    }

    /** A LayerNorm: weight and bias, each [width]. */
    public static ModuleSpec layerNorm(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> width) {
        return new ModuleSpec(role, Kind.NORM, hfPath, ggufName, width, c -> 1, c -> true, c -> true, false);
    }

    public static ModuleSpec embedding(String hfPath, String ggufName) {
        return new ModuleSpec(ModuleRole.EMBEDDING, Kind.EMBEDDING, hfPath, ggufName, ModelConfig::vocabSize,
                ModelConfig::hiddenSize, c -> false, c -> true, false);
    }

    /** Learned absolute positions (GPT-2's wpe): one row per position up to max_position_embeddings. */
    public static ModuleSpec positionEmbedding(String hfPath, String ggufName) {
        return new ModuleSpec(ModuleRole.POSITION_EMBEDDING, Kind.EMBEDDING, hfPath, ggufName,
                ModelConfig::maxPositionEmbeddings, ModelConfig::hiddenSize, c -> false, c -> true, false);
    }

    /** The same module, present only when {@code when} holds. */
    public ModuleSpec onlyIf(Predicate<ModelConfig> when) {
        return new ModuleSpec(role, kind, hfPath, ggufName, out, in, hasBias, present.and(when), transposed);
    }

    /** The module's last path component, e.g. "q_proj": the name lora_target and freeze modules use. */
    public String shortName() {
        return hfPath.substring(hfPath.lastIndexOf('.') + 1);
    }
}
