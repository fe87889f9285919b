package io.jtune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.data.batch.PaddedBatch;
import io.jtune.data.batch.BatchSampler;
import io.jtune.data.batch.Collator;
import io.jtune.data.cache.TokenizedStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data path end to end on small files: dataset_info.json to batches. */
class DatasetPipelineTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    @BeforeEach
    void writeDatasets() throws Exception {
        Files.writeString(dir.resolve("dataset_info.json"), """
                {
                  "alpaca_demo": {"file_name": "alpaca.json"},
                  "chat_demo": {"file_name": "chat.jsonl", "formatting": "sharegpt"},
                  "numbers": {"file_name": "numbers.jsonl"},
                  "letters": {"file_name": "letters.jsonl"},
                  "broken": {"file_name": "broken.json", "formatting": "sharegpt"},
                  "wiki": {"file_name": "wiki.txt", "columns": {"prompt": "text"}}
                }
                """);
        Files.writeString(dir.resolve("alpaca.json"), """
                [
                  {"instruction": "Say hi", "input": "", "output": "hi"},
                  {"instruction": "Add", "input": "1+1", "output": "2 (two)"},
                  {"instruction": "Nothing to say", "input": "", "output": ""}
                ]
                """);
        Files.writeString(dir.resolve("chat.jsonl"), """
                {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]}
                {"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]}
                {"conversations": [{"from": "human", "value": "a"}]}
                {"conversations": [{"from": "human", "value": "c"}, {"from": "gpt", "value": "d"}]}
                """);
        Files.writeString(dir.resolve("numbers.jsonl"), IntStream.range(0, 10)
                .mapToObj(i -> "{\"instruction\": \"n" + i + "\", \"output\": \"" + i + "\"}").collect(Collectors.joining("\n")));
        Files.writeString(dir.resolve("letters.jsonl"), IntStream.range(0, 3)
                .mapToObj(i -> "{\"instruction\": \"l" + i + "\", \"output\": \"" + (char) ('a' + i) + "\"}")
                .collect(Collectors.joining("\n")));
        Files.writeString(dir.resolve("broken.json"), """
                [{"conversations": [{"from": "gpt", "value": "x"}, {"from": "human", "value": "y"}]},
                 {"conversations": [{"from": "human", "value": "only a question"}]}]
                """);
        Files.writeString(dir.resolve("wiki.txt"), "The quick brown fox.\nJumps over the lazy dog.\n");
    }

    private DataOptions.Builder opts(String... datasets) {
        return DataOptions.builder(List.of(datasets), dir).template("qwen");
    }

    private DataModule load(DataOptions o) {
        return new DatasetPipeline(o, FakeTokenizer.qwenLike(), "fake-1",
                new PrintStream(logBytes, true, StandardCharsets.UTF_8)).load();
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private static String prompts(List<TokenizedExample> examples) {
        FakeTokenizer tok = FakeTokenizer.qwenLike();
        return examples.stream().map(e -> tok.decode(e.inputIds(), true).replaceAll("(?s).*user\\n(.*?)assistant.*", "$1")
                .strip()).collect(Collectors.joining(","));
    }

    @Test
    void alpacaAndSharegptWithSkipsCountedAndReported() {
        DataModule m = load(opts("alpaca_demo", "chat_demo").build());
        assertEquals(4, m.train().size()); // 2 alpaca + 2 sharegpt
        assertEquals(1, m.skips().count("empty response"));
        assertEquals(1, m.skips().count("sharegpt turns do not alternate user/assistant"));
        assertEquals(1, m.skips().count("sharegpt conversation does not end with an answer"));
        assertTrue(log().contains("Skipped 3 record(s):") && log().contains("chat_demo/chat.jsonl:2"), log());
    }

    @Test
    void nothingLeftExplainsEveryReasonAndPointsToTheDocs() {
        JtuneException e = assertThrows(JtuneException.class, () -> load(opts("broken").build()));
        assertTrue(e.getMessage().contains("sharegpt turns do not alternate") && e.getMessage().contains("does not end with an answer")
                && e.getMessage().contains("docs/data.md"), e.getMessage());
    }

    @Test
    void unknownDatasetNameListsTheDefinedOnes() {
        JtuneException e = assertThrows(JtuneException.class, () -> load(opts("alpaca_en").build()));
        assertTrue(e.getMessage().contains("alpaca_demo, chat_demo, numbers"), e.getMessage());
    }

    @Test
    void preferenceStagesNeedRankingDatasets() {
        JtuneException e = assertThrows(JtuneException.class, () -> load(opts("alpaca_demo").stage("dpo").build()));
        assertTrue(e.getMessage().contains("ranking"), e.getMessage());
    }

    @Test
    void maxSamplesAndConcat() {
        DataModule m = load(opts("numbers", "letters").maxSamples(2).build());
        assertEquals("n0,n1,l0,l1", prompts(m.train()));
    }

    @Test
    void interleaveUnderAndOver() {
        assertEquals("n0,l0,n1,l1,n2,l2", prompts(load(opts("numbers", "letters").mixStrategy("interleave_under").build()).train()));
        List<TokenizedExample> over = load(opts("numbers", "letters").mixStrategy("interleave_over").build()).train();
        assertEquals(20, over.size()); // both read until the longer one (10) is exhausted
        List<TokenizedExample> weighted = load(opts("numbers", "letters").mixStrategy("interleave_over")
                .interleaveProbs(List.of(0.9, 0.1)).seed(7).build()).train();
        long letters = prompts(weighted).chars().filter(c -> c == 'l').count();
        assertTrue(weighted.size() >= 10 && letters >= 3, prompts(weighted));
        assertEquals(prompts(weighted), prompts(load(opts("numbers", "letters").mixStrategy("interleave_over")
                .interleaveProbs(List.of(0.9, 0.1)).seed(7).build()).train()), "seeded");
    }

    @Test
    void valSizeFractionAndCountAreSeeded() {
        DataModule frac = load(opts("numbers").valSize(0.25).build());
        assertEquals(7, frac.train().size());
        assertEquals(3, frac.eval().get("validation").size()); // ceil(0.25 * 10)
        DataModule count = load(opts("numbers").valSize(4).build());
        assertEquals(4, count.eval().get("validation").size());
        assertEquals(prompts(frac.eval().get("validation")), prompts(load(opts("numbers").valSize(0.25).build()).eval().get("validation")));
        assertThrows(JtuneException.class, () -> load(opts("numbers").valSize(10).build()));
    }

    @Test
    void evalDatasetIsItsOwnSplit() {
        DataModule m = load(opts("numbers").evalDataset(List.of("letters")).build());
        assertEquals(10, m.train().size());
        assertEquals("l0,l1,l2", prompts(m.eval().get("validation")));
        assertThrows(JtuneException.class, () -> load(opts("numbers").evalDataset(List.of("letters")).valSize(0.1).build()));
    }

    @Test
    void numSamplesOversamplesWithASeed() throws Exception {
        Files.writeString(dir.resolve("dataset_info.json"), "{\"few\": {\"file_name\": \"letters.jsonl\", \"num_samples\": 5}}");
        DataModule m = load(opts("few").build());
        assertEquals(5, m.train().size());
        assertTrue(prompts(m.train()).contains("l0") && prompts(m.train()).contains("l1") && prompts(m.train()).contains("l2"));
    }

    @Test
    void aNumSamplesThatCannotFitIsRefusedUpFrontByName() throws Exception {
        Files.writeString(dir.resolve("dataset_info.json"), "{\"huge\": {\"file_name\": \"letters.jsonl\", \"num_samples\": 2000000000}}");
        long start = System.nanoTime();
        JtuneException e = assertThrows(JtuneException.class, () -> load(opts("huge").build()));
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused up front");
        assertTrue(e.getMessage().contains(dir.resolve("dataset_info.json").toString())
                && e.getMessage().contains("'huge'") && e.getMessage().contains("num_samples 2000000000")
                && e.getMessage().contains("cannot fit"), e.getMessage());
        // with max_samples only that many are drawn (the same first rows as before)
        assertEquals(4, load(opts("huge").maxSamples(4).build()).train().size());
    }

    @Test
    void pretrainingTextFile() {
        DataModule m = load(opts("wiki").template("empty").stage("pt").cutoffLen(11).build());
        // "The quick brown fox.<eos>Jumps over the lazy dog.<eos>" = 46 tokens, blocks of 10
        assertEquals(4, m.train().size());
        assertEquals("The quick ", FakeTokenizer.qwenLike().decode(m.train().getFirst().inputIds(), false));
    }

    @Test
    void tokenizedPathSavesAndThenLoadsWithoutTheFiles() throws Exception {
        Path store = dir.resolve("tokenized");
        DataModule first = load(opts("alpaca_demo").tokenizedPath(store).build());
        assertTrue(TokenizedStore.exists(store));
        Files.delete(dir.resolve("alpaca.json"));
        DataModule again = load(opts("alpaca_demo").tokenizedPath(store).build());
        assertEquals(first.train(), again.train());
        assertEquals(store.toString(), again.loadedFrom());
    }

    @Test
    void automaticCacheIsReusedUntilAnInputChanges() throws Exception {
        Path cache = dir.resolve("cache");
        DataModule first = load(opts("alpaca_demo").cacheDir(cache).build());
        assertNull(first.loadedFrom());
        DataModule second = load(opts("alpaca_demo").cacheDir(cache).build());
        assertTrue(second.loadedFrom() != null && second.loadedFrom().startsWith(cache.toString()));
        assertEquals(first.train(), second.train());
        DataModule otherCutoff = load(opts("alpaca_demo").cacheDir(cache).cutoffLen(1024).build());
        assertNull(otherCutoff.loadedFrom());
        Files.writeString(dir.resolve("alpaca.json"), "[{\"instruction\": \"new\", \"output\": \"data\"}]");
        DataModule changed = load(opts("alpaca_demo").cacheDir(cache).build());
        assertNull(changed.loadedFrom());
        assertNotEquals(first.train().size(), changed.train().size());
    }

    @Test
    void previewPrintsLikeLlamaFactory() {
        DataModule m = load(opts("chat_demo").template("empty").build());
        String text = DataPreview.render(m);
        int b = 1000 + 'b';
        assertTrue(text.startsWith("training example:\ninput_ids:\n[" + (1000 + 'a') + ", " + b + "]\ninputs:\nab\n"
                + "label_ids:\n[-100, " + b + "]\nlabels:\nb\n"), text);
        assertTrue(text.contains("train: 2 examples, 4 tokens; tokens per example: min 2, mean 2.0, p50 2, p95 2, max 2; "
                + "tokens with a loss: 2"), text);
        assertTrue(text.contains("skipped 2 record(s)"), text);
    }

    @Test
    void previewOfPreferencePairsAndPretraining() {
        io.jtune.data.template.ChatTokenizer tok = io.jtune.data.template.ChatTokenizer.of(FakeTokenizer.qwenLike(),
                io.jtune.data.template.Templates.get("empty"));
        int q = 1000 + 'q', y = 1000 + 'y', n = 1000 + 'n';
        TokenizedExample pair = TokenizedExample.of("chosen_input_ids", new int[] {q, y}, "chosen_labels", new int[] {-100, y},
                "rejected_input_ids", new int[] {q, n}, "rejected_labels", new int[] {-100, n});
        assertEquals("training example:\nchosen_input_ids:\n[" + q + ", " + y + "]\nchosen_inputs:\nqy\nchosen_label_ids:\n"
                + "[-100, " + y + "]\nchosen_labels:\ny\nrejected_input_ids:\n[" + q + ", " + n + "]\nrejected_inputs:\nqn\n"
                + "rejected_label_ids:\n[-100, " + n + "]\nrejected_labels:\nn\n", DataPreview.example("training example:", pair, tok));
        assertEquals("eval example:\ninput_ids:\n[" + q + "]\ninputs:\nq\n",
                DataPreview.example("eval example:", TokenizedExample.of("input_ids", new int[] {q}), tok));
    }

    @Test
    void collatorPadsToTheLongestAndSamplerShufflesWithASeed() {
        DataModule m = load(opts("alpaca_demo").template("empty").build());
        Collator collator = new Collator(m.tokenizer().padId());
        PaddedBatch batch = collator.collate(m.train());
        int[] shortRow = m.train().get(0).inputIds(); // "Say hi" + "hi"
        int[] longRow = m.train().get(1).inputIds();  // "Add\n1+1" + "2 (two)"
        assertEquals(longRow.length, batch.seqLen());
        int pad = m.tokenizer().padId();
        assertEquals(pad, batch.inputIds()[0][batch.seqLen() - 1]);
        assertEquals(-100, batch.labels()[0][batch.seqLen() - 1]);
        assertEquals(0, batch.segmentIds()[0][batch.seqLen() - 1]);
        assertEquals(1, batch.segmentIds()[0][0]);
        assertEquals(shortRow.length - 1, batch.positionIds()[0][shortRow.length - 1]);
        assertEquals(9, Arrays.stream(batch.labels()).flatMapToInt(Arrays::stream).filter(v -> v != -100).count()); // "hi", "2 (two)"

        List<Integer> data = new ArrayList<>(IntStream.range(0, 10).boxed().toList());
        BatchSampler<Integer> sampler = new BatchSampler<>(data, 4, 42, true);
        assertEquals(3, sampler.batchesPerEpoch());
        assertEquals(sampler.epoch(0), new BatchSampler<>(data, 4, 42, true).epoch(0));
        assertNotEquals(sampler.epoch(0), sampler.epoch(1));
        assertEquals(2, sampler.epoch(0).get(2).size());
    }

    @Test
    void pretrainingLabelsAreTheInputsWithPadMasked() {
        int pad = 5;
        PaddedBatch b = new Collator(pad).collate(List.of(TokenizedExample.of("input_ids", new int[] {1, 2, pad}),
                TokenizedExample.of("input_ids", new int[] {3})));
        assertArrayEquals(new int[] {1, 2, -100}, b.labels()[0]);
        assertArrayEquals(new int[] {3, pad, pad}, b.inputIds()[1]);
        assertArrayEquals(new int[] {3, -100, -100}, b.labels()[1]);
    }

    @Test
    void preferenceBatchesPutChosenFirst() {
        TokenizedExample pair = TokenizedExample.of("chosen_input_ids", new int[] {1, 2}, "chosen_labels", new int[] {-100, 2},
                "rejected_input_ids", new int[] {1, 3, 4}, "rejected_labels", new int[] {-100, 3, 4});
        PaddedBatch b = new Collator(0).collatePairs(List.of(pair));
        assertEquals(2, b.size());
        assertArrayEquals(new int[] {1, 2, 0}, b.inputIds()[0]);
        assertArrayEquals(new int[] {-100, 3, 4}, b.labels()[1]);
    }
}
