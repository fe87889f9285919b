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
 * @param hasBias   whether the config gives this linear layer a bias
 * @param present   whether a model of this config has the module at all
 */
public record ModuleSpec(ModuleRole role, Kind kind, String hfPath, String ggufName, ToIntFunction<ModelConfig> out,
                         ToIntFunction<ModelConfig> in, Predicate<ModelConfig> hasBias, Predicate<ModelConfig> present) {

    public enum Kind { LINEAR, EMBEDDING, NORM }

    public static ModuleSpec linear(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> out,
                                    ToIntFunction<ModelConfig> in, Predicate<ModelConfig> hasBias) {
        return new ModuleSpec(role, Kind.LINEAR, hfPath, ggufName, out, in, hasBias, c -> true);
    }

    public static ModuleSpec norm(ModuleRole role, String hfPath, String ggufName, ToIntFunction<ModelConfig> width) {
        return new ModuleSpec(role, Kind.NORM, hfPath, ggufName, width, c -> 1, c -> false, c -> true);
    }

    public static ModuleSpec embedding(String hfPath, String ggufName) {
        return new ModuleSpec(ModuleRole.EMBEDDING, Kind.EMBEDDING, hfPath, ggufName, ModelConfig::vocabSize,
                ModelConfig::hiddenSize, c -> false, c -> true);
    }

    /** The same module, present only when {@code when} holds. */
    public ModuleSpec onlyIf(Predicate<ModelConfig> when) {
        return new ModuleSpec(role, kind, hfPath, ggufName, out, in, hasBias, present.and(when));
    }

    /** The module's last path component, e.g. "q_proj": the name lora_target and freeze modules use. */
    public String shortName() {
        return hfPath.substring(hfPath.lastIndexOf('.') + 1);
    }
}
