package io.jtune.config;

/** The groups of configuration keys, named after LLaMA-Factory's hparams dataclasses. */
public enum Group {
    MODEL("model", "Model: which checkpoint, adapter and tokenizer to load"),
    DATA("data", "Data: datasets, template, cutoff and packing"),
    FINETUNING("finetuning", "Fine-tuning: stage, method (LoRA / freeze / full) and their settings"),
    TRAINING("training", "Training: the Hugging Face Trainer's arguments (optimizer, schedule, logging, checkpoints)"),
    GENERATING("generating", "Generating: decoding settings for prediction and chat"),
    EXPORT("export", "Export: merging and writing a model directory");

    private final String id;
    private final String title;

    Group(String id, String title) {
        this.id = id;
        this.title = title;
    }

    /** Lower-case name used on the command line and in the forms description. */
    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public static Group byId(String id) {
        for (Group g : values()) {
            if (g.id.equalsIgnoreCase(id)) {
                return g;
            }
        }
        throw new io.jtune.JtuneException("unknown key group '" + id + "'; choose one of "
                + java.util.Arrays.stream(values()).map(Group::id).toList());
    }
}
