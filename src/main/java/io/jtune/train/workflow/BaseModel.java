package io.jtune.train.workflow;

import io.jtune.config.ModelArguments;
import io.jtune.io.gguf.GgufHfTokenizerFiles;
import io.jtune.io.gguf.GgufModel;
import io.jtune.io.hf.HfModelDirectory;
import io.jtune.io.hf.HfWeightSource;
import io.jtune.model.WeightSource;
import io.jtune.io.hub.HubClient;
import io.jtune.io.hub.ModelLocator;
import io.jtune.model.arch.ModelConfig;
import io.jtune.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model a run starts from: model_name_or_path resolved to a folder (a local path, or a hub id
 * found in the cache or downloaded) or a GGUF file, its files opened (weights stay memory-mapped
 * until closed), and its tokenizer.
 */
final class BaseModel implements AutoCloseable {
    private final Path dir;
    private final HfModelDirectory files;   // null for a GGUF base
    private final GgufModel gguf;           // null for a Hugging Face folder
    private final HfTokenizer tokenizer;

    private BaseModel(Path dir, HfModelDirectory files, GgufModel gguf, HfTokenizer tokenizer) {
        this.dir = dir;
        this.files = files;
        this.gguf = gguf;
        this.tokenizer = tokenizer;
    }

    static BaseModel open(ModelArguments args, PrintStream log) throws IOException {
        Path dir = ModelLocator.fromEnvironment().locate(args.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        if (GgufModel.isGguf(dir)) return openGguf(dir, log);
        HfModelDirectory files = HfModelDirectory.open(dir);
        try {
            ModelConfig c = files.config();
            log.printf("Model: %s (%s, %d layers, hidden %d, vocab %d)%n", dir, c.modelType(),
                    c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
            return new BaseModel(dir, files, null, HfTokenizer.load(dir));
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /**
     * A GGUF base: weights frozen in their stored type; the tokenizer files rebuilt from its
     * tokenizer.* keys stand in for the folder (they are copied beside the trained adapter).
     */
    private static BaseModel openGguf(Path path, PrintStream log) {
        GgufModel gguf = GgufModel.open(path);
        try {
            ModelConfig c = gguf.config();
            log.printf("Model: %s (GGUF, %s, %d layers, hidden %d, vocab %d)%n", gguf.path(), c.modelType(),
                    c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
            Path tokenizerDir = GgufHfTokenizerFiles.folder(gguf);
            return new BaseModel(tokenizerDir, null, gguf, HfTokenizer.load(tokenizerDir));
        } catch (RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    /** The GGUF file of a GGUF base, else null. */
    GgufModel gguf() {
        return gguf;
    }

    /** The frozen weights by HF name. */
    WeightSource weights() {
        return gguf != null ? gguf.weights() : new HfWeightSource(files);
    }

    /** True for a bitsandbytes 4-bit checkpoint. */
    boolean prequantized() {
        return files != null && files.prequantized();
    }

    /** Saves and loads what trains over this base. */
    TrainedWeights trainedWeights(io.jtune.model.CausalLM model, io.jtune.io.peft.LoraAdapterConfig adapterConfig) {
        return files != null ? new TrainedWeights(model, files, adapterConfig)
                : new TrainedWeights(model, gguf, dir, adapterConfig);
    }

    Path dir() {
        return dir;
    }

    /** The Hugging Face folder; null for a GGUF base. */
    HfModelDirectory files() {
        return files;
    }

    ModelConfig config() {
        return gguf != null ? gguf.config() : files.config();
    }

    HfTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Tells tokenized-data caches made with another tokenizer apart: tokenizer.json's size and
     * modification time, or null when the folder has none.
     */
    String tokenizerFingerprint() throws IOException {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return null;
        return Long.toHexString(Files.size(file)) + "-" + Files.getLastModifiedTime(file).toMillis();
    }

    @Override
    public void close() {
        if (files != null) files.close();
        if (gguf != null) gguf.close();
    }
}
