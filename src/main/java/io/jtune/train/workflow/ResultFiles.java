package io.jtune.train.workflow;

import io.jtune.train.MetricsFiles;
import io.jtune.train.PyJson;
import io.jtune.train.TrainOutcome;
import io.jtune.train.TrainingPlan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** train_results.json, eval_results.json and all_results.json with the HF Trainer's metric names. */
final class ResultFiles {
    private ResultFiles() {}

    static void writeTrain(Path outputDir, TrainOutcome o, TrainingPlan plan, Double evalLoss) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", PyJson.round(o.epoch(), 4));
        m.put("total_flos", 0);
        m.put("train_loss", o.trainLoss());
        m.putAll(MetricsFiles.speed("train", o.runtimeSeconds(), o.samplesSeen(), o.globalStep(), 0));
        m.put("num_input_tokens_seen", o.tokensSeen());
        MetricsFiles.save(outputDir, "train", m);
        if (evalLoss != null) writeEval(outputDir, evalLoss, o.epoch());
    }

    static void writeEval(Path outputDir, Double evalLoss) throws IOException {
        writeEval(outputDir, evalLoss, 0);
    }

    private static void writeEval(Path outputDir, Double evalLoss, double epoch) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", PyJson.round(epoch, 4));
        m.put("eval_loss", evalLoss);
        MetricsFiles.save(outputDir, "eval", m);
    }
}
