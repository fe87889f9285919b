package io.jtune.train.workflow;

import io.jtune.JtuneException;
import io.jtune.config.DataArguments;
import io.jtune.config.JtuneConfig;
import io.jtune.config.TrainingArguments;
import io.jtune.data.DataModule;
import io.jtune.data.DataOptions;
import io.jtune.data.DataPreview;
import io.jtune.data.DatasetPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The tokenized training and evaluation data of a run: the data path configured from the data keys,
 * run with the stage's processor and the base model's tokenizer, cached between runs.
 */
final class TrainingData {
    private TrainingData() {}

    /** Loads (or reads from the cache) the data for {@code dataStage}, and prints the first training example. */
    static DataModule load(JtuneConfig config, String dataStage, BaseModel base, PrintStream log) throws IOException {
        DataArguments d = config.data();
        TrainingArguments t = config.training();
        if (d.dataset().isEmpty() && t.doTrain()) throw new JtuneException("dataset: required for training (names from dataset_info.json)");
        DataOptions options = DataOptions.builder(d.dataset(), Path.of(d.datasetDir()))
                .evalDataset(d.evalDataset())
                .template(d.template() == null || d.template().isBlank() ? null : d.template())
                .cutoffLen(d.cutoffLen())
                .maxSamples(d.maxSamples())
                .valSize(d.valSize())
                .packing(d.packing())
                .neatPacking(d.neatPacking())
                .trainOnPrompt(d.trainOnPrompt())
                .maskHistory(d.maskHistory())
                .mixStrategy(d.mixStrategy())
                .interleaveProbs(d.interleaveProbs())
                .tokenizedPath(d.tokenizedPath() == null ? null : Path.of(d.tokenizedPath()))
                .enableThinking(d.enableThinking())
                .seed(t.seed())
                .stage(dataStage)
                .cacheDir(d.overwriteCache() ? null : cacheDir())
                .build();
        DataModule data = new DatasetPipeline(options, base.tokenizer(), base.tokenizerFingerprint(), log).load();
        if (!data.train().isEmpty()) {
            log.println(DataPreview.example("training example:", data.train().get(0), data.tokenizer()));
        }
        return data;
    }

    /** JTUNE_CACHE, else ~/.cache/jtune: where tokenized datasets are cached between runs. */
    static Path cacheDir() {
        String env = System.getenv("JTUNE_CACHE");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "jtune");
        return root.resolve("datasets");
    }
}
