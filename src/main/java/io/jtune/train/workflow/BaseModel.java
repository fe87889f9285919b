package io.jtune.train.workflow;

import io.jtune.config.ModelArguments;
import io.jtune.io.hf.HfModelDirectory;
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
 * found in the cache or downloaded), its files opened (weights stay memory-mapped until closed), and
 * its tokenizer.
 */
final class BaseModel implements AutoCloseable {
    private final Path dir;
    private final HfModelDirectory files;
    private final HfTokenizer tokenizer;

    private BaseModel(Path dir, HfModelDirectory files, HfTokenizer tokenizer) {
        this.dir = dir;
        this.files = files;
        this.tokenizer = tokenizer;
    }

    static BaseModel open(ModelArguments args, PrintStream log) throws IOException {
        Path dir = ModelLocator.fromEnvironment().locate(args.modelNameOrPath(), null, HubClient.DownloadProgress.SILENT);
        HfModelDirectory files = HfModelDirectory.open(dir);
        try {
            ModelConfig c = files.config();
            log.printf("Model: %s (%s, %d layers, hidden %d, vocab %d)%n", dir, c.modelType(),
                    c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
            return new BaseModel(dir, files, HfTokenizer.load(dir));
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    Path dir() {
        return dir;
    }

    HfModelDirectory files() {
        return files;
    }

    ModelConfig config() {
        return files.config();
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
        files.close();
    }
}
