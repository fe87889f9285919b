package io.jtune.train.optim;

import io.jtune.model.TrainableParameter;
import java.util.ArrayList;
import java.util.List;

/**
 * A contiguous range [offset, offset + length) of the flat parameter array, its weight decay and its
 * learning rate as a multiple of the scheduled one (torch's per-group lr: a scheduler scales every
 * group's initial lr by the same factor, so a group set to ratio × learning_rate stays at that ratio).
 */
public record ParamGroup(int offset, int length, double weightDecay, double lrScale) {

    /** A group at the scheduled learning rate. */
    public ParamGroup(int offset, int length, double weightDecay) {
        this(offset, length, weightDecay, 1.0);
    }

    /**
     * HF Trainer's grouping: weight decay on every tensor except biases and norm weights
     * (get_decay_parameter_names). Adjacent tensors with the same decay merge into one range.
     */
    public static List<ParamGroup> hfDefault(List<TrainableParameter> params, double weightDecay) {
        List<ParamGroup> groups = new ArrayList<>();
        for (TrainableParameter p : params) {
            double wd = decays(p.name()) ? weightDecay : 0.0;
            ParamGroup last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && last.weightDecay == wd && last.offset + last.length == p.offset()) {
                groups.set(groups.size() - 1, new ParamGroup(last.offset, last.length + p.size(), wd));
            } else {
                groups.add(new ParamGroup(p.offset(), p.size(), wd));
            }
        }
        return groups;
    }

    /**
     * LLaMA-Factory's LoRA+ groups (create_loraplus_optimizer): A matrices (and anything else 2-D) at
     * learning_rate; B matrices and 1-D tensors (DoRA's magnitude, biases, norms) at learning_rate ×
     * ratio, decayed unless HF leaves them undecayed; LoRA embedding factors (lora_embedding_B) at
     * the fixed embeddingLr. Adjacent tensors of one group merge into one range.
     */
    public static List<ParamGroup> loraPlus(List<TrainableParameter> params, double weightDecay, double learningRate,
                                            double ratio, double embeddingLr) {
        List<ParamGroup> groups = new ArrayList<>();
        for (TrainableParameter p : params) {
            double wd, scale;
            if (p.name().contains("lora_embedding_B")) {
                wd = weightDecay;
                scale = learningRate == 0 ? 0 : embeddingLr / learningRate;
            } else if (p.name().contains("lora_B") || p.isVector()) {
                wd = decays(p.name()) ? weightDecay : 0.0;
                scale = ratio;
            } else {
                wd = weightDecay;
                scale = 1.0;
            }
            ParamGroup last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && last.weightDecay == wd && last.lrScale == scale && last.offset + last.length == p.offset()) {
                groups.set(groups.size() - 1, new ParamGroup(last.offset, last.length + p.size(), wd, scale));
            } else {
                groups.add(new ParamGroup(p.offset(), p.size(), wd, scale));
            }
        }
        return groups;
    }

    /** False for biases and norm weights, which HF leaves undecayed. */
    public static boolean decays(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return !(lower.endsWith(".bias") || lower.contains("layernorm") || lower.contains("rmsnorm")
                || lower.matches("(.*\\.)?norm(\\..*)?") || lower.matches(".*_norm(\\..*)?"));
    }
}
