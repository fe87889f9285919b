package io.jtune.train.optim;

import io.jtune.model.TrainableParameter;
import java.util.ArrayList;
import java.util.List;

/** A contiguous range [offset, offset + length) of the flat parameter array and its weight decay. */
public record ParamGroup(int offset, int length, double weightDecay) {

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

    /** False for biases and norm weights, which HF leaves undecayed. */
    public static boolean decays(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return !(lower.endsWith(".bias") || lower.contains("layernorm") || lower.contains("rmsnorm")
                || lower.matches("(.*\\.)?norm(\\..*)?") || lower.matches(".*_norm(\\..*)?"));
    }
}
