package io.jtune.serve.webui;

import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.export.ModelExport;
import io.jtune.infer.Cancellation;
import io.jtune.infer.PredictWorkflow;
import io.jtune.train.workflow.TrainWorkflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Export tab and the Predict half of the Evaluate &amp; predict tab as jobs: each runs the same
 * class as the command line ({@link ModelExport} for {@code jtune export}; {@link PredictWorkflow},
 * or for stage rm {@link TrainWorkflow}, for {@code jtune train} with do_predict) and reports what
 * it wrote.
 */
final class WebUiTasks {
    private WebUiTasks() {}

    /** Merge and export: a HF folder in export_dir, plus GGUF (export_gguf) and an Ollama Modelfile (template). */
    static TaskJob export(ConfigForm.Checked checked, String yaml) {
        JtuneConfig config = checked.config();
        String exportDir = config.export().exportDir();
        if (exportDir == null) throw FieldErrors.of("export_dir", "required: the folder to write the exported model to");
        Path target = Path.of(exportDir);
        if (target.equals(Path.of(config.model().modelNameOrPath()))) {
            throw FieldErrors.of("export_dir", "is the model folder being read; choose another folder");
        }
        for (String adapter : config.model().adapterNameOrPath()) {
            if (target.equals(Path.of(adapter))) throw FieldErrors.of("export_dir", "is the adapter folder being read; choose another folder");
        }
        return new TaskJob("export", checked.typedValues(), yaml, log -> {
            ModelExport.Result r = new ModelExport(config, log).run();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("export_dir", r.exportDir().toString());
            out.put("files", filesIn(r.exportDir()));
            if (r.gguf() != null) out.put("gguf", r.gguf().getFileName().toString());
            if (r.modelfile() != null) out.put("modelfile", r.modelfile().getFileName().toString());
            return out;
        }, null, System::nanoTime);
    }

    /** The names of the files in a folder, sorted: what the page lists after an export (weights, config, tokenizer ...). */
    private static List<String> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * do_predict as the stage does it, writing generated_predictions.jsonl and predict_results.json to
     * output_dir: sft generates an answer per example (Abort stops between examples), rm scores each
     * pair; the other stages do not predict (LLaMA-Factory's workflows neither), which is said next to
     * the stage.
     */
    static TaskJob predict(ConfigForm.Checked checked, String yaml) {
        JtuneConfig config = checked.config();
        String stage = config.finetuning().stage();
        if (!WebUiForms.PREDICTING_STAGES.contains(stage)) {
            throw FieldErrors.of("stage", "stage " + stage + " does not predict: prediction generates answers (sft) or scores pairs (rm);"
                    + " untick Predict to evaluate the " + stage + " loss and metrics");
        }
        if (!checked.userValues().containsKey("output_dir")) {
            throw FieldErrors.of("output_dir", "required: generated_predictions.jsonl and predict_results.json go there");
        }
        if (stage.equals("rm")) return scorePairs(checked, yaml);
        Cancellation cancellation = new Cancellation();
        return new TaskJob("predict", checked.typedValues(), yaml, log -> {
            PredictWorkflow.Result r = new PredictWorkflow(config, log, cancellation).run();
            Map<String, Object> out = new LinkedHashMap<>(r.metrics());
            out.put("predictions", r.outputDir().resolve(PredictWorkflow.PREDICTIONS_FILE).toString());
            return out;
        }, cancellation::cancel, System::nanoTime);
    }

    /**
     * Stage rm's do_predict: the training workflow (do_train false) scores each evaluation pair with the
     * reward model, as {@code jtune train} does. It cannot be stopped midway; scoring is one pass of
     * forward steps.
     */
    private static TaskJob scorePairs(ConfigForm.Checked checked, String yaml) {
        Map<String, Object> values = new LinkedHashMap<>(checked.allValues());
        values.remove("predict_with_generate"); // the reward model scores, it does not generate
        JtuneConfig config = evaluatedOn(checked.userValues().get("eval_dataset"), values);
        return new TaskJob("predict", checked.typedValues(), yaml, log -> {
            new TrainWorkflow(config, log).run(List.of());
            Path outputDir = Path.of(config.training().outputDir());
            Map<String, Object> out = new LinkedHashMap<>();
            Json.MAPPER.readTree(outputDir.resolve("predict_results.json").toFile()).fields()
                    .forEachRemaining(e -> out.put(e.getKey(), Json.MAPPER.convertValue(e.getValue(), Object.class)));
            out.put("predictions", outputDir.resolve(PredictWorkflow.PREDICTIONS_FILE).toString());
            return out;
        }, null, System::nanoTime);
    }

    /**
     * The config of an evaluation-only run on {@code evalDataset}: the data pipeline always loads
     * {@code dataset}, and with eval_dataset set that one becomes the evaluation split.
     */
    static JtuneConfig evaluatedOn(Object evalDataset, Map<String, Object> values) {
        Map<String, Object> all = new LinkedHashMap<>(values);
        all.put("dataset", evalDataset);
        return ConfigLoader.fromMap("form", all, List.of());
    }
}
