package io.jtune.serve.webui;

import io.jtune.config.JtuneConfig;
import io.jtune.export.ModelExport;
import io.jtune.infer.Cancellation;
import io.jtune.infer.PredictWorkflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Export tab and the Predict half of the Evaluate &amp; predict tab as jobs: each runs the same
 * class as the command line ({@link ModelExport} for {@code jtune export}, {@link PredictWorkflow}
 * for {@code jtune train} with do_predict) and reports what it wrote.
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

    /** do_predict: generated_predictions.jsonl and predict_results.json in output_dir; Abort stops between examples. */
    static TaskJob predict(ConfigForm.Checked checked, String yaml) {
        JtuneConfig config = checked.config();
        if (!checked.userValues().containsKey("output_dir")) {
            throw FieldErrors.of("output_dir", "required: generated_predictions.jsonl and predict_results.json go there");
        }
        Cancellation cancellation = new Cancellation();
        return new TaskJob("predict", checked.typedValues(), yaml, log -> {
            PredictWorkflow.Result r = new PredictWorkflow(config, log, cancellation).run();
            Map<String, Object> out = new LinkedHashMap<>(r.metrics());
            out.put("predictions", r.outputDir().resolve(PredictWorkflow.PREDICTIONS_FILE).toString());
            return out;
        }, cancellation::cancel, System::nanoTime);
    }
}
