package io.jtune.train.workflow;

import io.jtune.JtuneVersion;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.train.TrainOutcome;
import io.jtune.util.AtomicFiles;
import io.jtune.util.PythonJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * README.md beside a trained adapter or model, the model card the Hub shows: YAML front matter in the
 * layout PEFT and the HF Trainer use (library_name, base_model, tags, model-index), then what was
 * trained from what on which data, with the hyperparameters, the final evaluation and the versions.
 */
public record ModelCard(String name, String baseModel, boolean adapter, String stage, String finetuningType,
                        List<String> datasets, Map<String, Object> hyperparameters, Map<String, Object> results) {
    public static final String FILE_NAME = "README.md";
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");

    public ModelCard {
        datasets = List.copyOf(datasets);
        hyperparameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        results = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(results));
    }

    /** The card of a finished run: its config and how it ended. */
    public static ModelCard of(JtuneConfig config, TrainOutcome outcome) {
        TrainingArguments t = config.training();
        Path out = Path.of(t.outputDir()).toAbsolutePath().normalize();
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("learning_rate", t.learningRate());
        h.put("train_batch_size", t.perDeviceTrainBatchSize());
        h.put("eval_batch_size", t.perDeviceEvalBatchSize());
        h.put("seed", t.seed());
        h.put("gradient_accumulation_steps", t.gradientAccumulationSteps());
        h.put("total_train_batch_size", t.perDeviceTrainBatchSize() * t.gradientAccumulationSteps());
        h.put("optimizer", t.optim());
        h.put("lr_scheduler_type", t.lrSchedulerType());
        if (t.maxSteps() > 0) h.put("training_steps", t.maxSteps());
        else h.put("num_epochs", t.numTrainEpochs());
        Map<String, Object> r = new LinkedHashMap<>();
        if (outcome != null) {
            r.put("train_loss", outcome.trainLoss());
            if (outcome.finalEvalLoss() != null) r.put("eval_loss", outcome.finalEvalLoss());
        }
        String ft = config.finetuning().finetuningType();
        return new ModelCard(out.getFileName() == null ? "model" : out.getFileName().toString(), config.model().modelNameOrPath(),
                "lora".equals(ft), config.finetuning().stage(), ft, config.data().dataset(), h, r);
    }

    /** The card's text. */
    public String text() {
        StringBuilder s = new StringBuilder("---\n");
        s.append("library_name: ").append(adapter ? "peft" : "transformers").append('\n');
        s.append("base_model: ").append(yaml(baseModel)).append('\n');
        s.append("tags:\n");
        for (String tag : List.of("jtune", finetuningType, stage)) s.append("- ").append(yaml(tag)).append('\n');
        s.append("model-index:\n- name: ").append(yaml(name)).append("\n  results: []\n---\n\n");
        s.append("# ").append(name).append("\n\n");
        s.append(adapter ? "A LoRA adapter for " : "A fine-tuned version of ").append('`').append(baseModel).append('`');
        s.append(", trained by jtune (stage ").append(stage).append(", ").append(finetuningType).append(")");
        s.append(datasets.isEmpty() ? "." : " on " + String.join(", ", datasets.stream().map(d -> "`" + d + "`").toList()) + ".");
        s.append("\n\n");
        if (!results.isEmpty()) {
            s.append("## Results\n\n");
            results.forEach((k, v) -> s.append("- ").append(k).append(": ").append(PythonJson.dumps(v)).append('\n'));
            s.append('\n');
        }
        s.append("## Training hyperparameters\n\n");
        hyperparameters.forEach((k, v) -> s.append("- ").append(k).append(": ").append(v instanceof String str ? str : PythonJson.dumps(v)).append('\n'));
        s.append("\n## Framework versions\n\n- jtune ").append(JtuneVersion.get()).append('\n');
        if (adapter) s.append("- PEFT-compatible adapter (adapter_config.json, adapter_model.safetensors)\n");
        return s.toString();
    }

    /** Writes dir/README.md (replacing the base model's card, which a full model's copy would otherwise carry). */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(FILE_NAME), text());
    }

    private static String yaml(String value) {
        return value != null && PLAIN.matcher(value).matches() ? value : PythonJson.dumps(value == null ? "" : value);
    }
}
