package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** ref_model and ref_model_adapters: a separate frozen reference for dpo and kto. */
@Timeout(300)
class ReferenceModelEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static Path otherModel;
    static Path data;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModels() throws IOException {
        List<String> corpus = new CorpusGenerator(1).documents(300);
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, corpus, 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        otherModel = shared.resolve("other-weights"); // the same tokenizer, other random weights
        TinyModelFactory.create(otherModel, corpus, 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 10);
        data = PreferencePairs.write(shared.resolve("data"), 1, 7);
    }

    static Path config(Path dir, String stage, String extra) throws IOException {
        Path yaml = dir.resolve(stage + ".yaml");
        Files.writeString(yaml, String.join("\n",
                "model_name_or_path: " + model,
                "stage: " + stage,
                "do_train: true",
                "finetuning_type: lora",
                "lora_rank: 4",
                "dataset: " + ("kto".equals(stage) ? "kto_en_demo" : "pairs_train"),
                "eval_dataset: " + ("kto".equals(stage) ? "kto_zh_demo" : "pairs_eval"),
                "dataset_dir: " + ("kto".equals(stage) ? Path.of("data").toAbsolutePath() : data),
                "template: chatml",
                "cutoff_len: 96",
                "output_dir: " + dir.resolve("out"),
                "per_device_train_batch_size: 4",
                "per_device_eval_batch_size: 8",
                "learning_rate: 1.0e-2",
                "max_steps: 3",
                "logging_steps: 1",
                "save_steps: 100",
                "pref_beta: 0.5",
                extra, ""));
        return yaml;
    }

    static JsonNode firstLog(Path out) throws IOException {
        return JSON.readTree(Files.readAllLines(out.resolve("trainer_log.jsonl")).getFirst());
    }

    static JsonNode evalResults(Path out) throws IOException {
        return JSON.readTree(out.resolve("eval_results.json").toFile());
    }

    @Test
    void aSeparateReferenceWithTheBaseWeightsTrainsExactlyAsTheDefaultReference(@TempDir Path tmp) throws IOException {
        Path plain = Files.createDirectories(tmp.resolve("plain"));
        Path separate = Files.createDirectories(tmp.resolve("separate"));
        assertEquals(0, TrainCommandEndToEndTest.train(config(plain, "dpo", "do_eval: true")));
        assertEquals(0, TrainCommandEndToEndTest.train(config(separate, "dpo", "do_eval: true\nref_model: " + model)));
        assertEquals(Files.readAllLines(plain.resolve("out/trainer_log.jsonl")).stream().map(l -> l.replaceAll("\"elapsed_time\".*", "")).toList(),
                Files.readAllLines(separate.resolve("out/trainer_log.jsonl")).stream().map(l -> l.replaceAll("\"elapsed_time\".*", "")).toList());
        for (String m : List.of("eval_loss", "eval_rewards/chosen", "eval_rewards/margins")) {
            assertEquals(evalResults(plain.resolve("out")).get(m).asDouble(), evalResults(separate.resolve("out")).get(m).asDouble(), 0.0, m);
        }
    }

    @Test
    void theReferenceAdapterIsAppliedToTheReferenceModel(@TempDir Path tmp) throws IOException {
        assertEquals(0, TrainCommandEndToEndTest.train(config(tmp, "dpo", "")));
        Path adapter = tmp.resolve("out");
        Path yaml = config(tmp, "dpo", "");
        // the trained adapter evaluated against the base: the rewards measure what training changed
        Path againstBase = tmp.resolve("against-base");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "do_eval=true", "adapter_name_or_path=" + adapter,
                "output_dir=" + againstBase));
        assertNotEquals(0.0, evalResults(againstBase).get("eval_rewards/chosen").asDouble());
        // ... and against the same base with the same adapter: policy and reference agree, every reward is 0
        Path againstItself = tmp.resolve("against-itself");
        assertEquals(0, TrainCommandEndToEndTest.train(yaml, "do_train=false", "do_eval=true", "adapter_name_or_path=" + adapter,
                "ref_model=" + model, "ref_model_adapters=" + adapter, "output_dir=" + againstItself));
        JsonNode r = evalResults(againstItself);
        for (String m : List.of("eval_rewards/chosen", "eval_rewards/rejected", "eval_rewards/margins")) assertEquals(0.0, r.get(m).asDouble(), 0.0, m);
        assertEquals(Math.log(2), r.get("eval_loss").asDouble(), 1e-12, "the sigmoid loss at z = 0");
    }

    @Test
    void ktoComparesWithAReferenceOfOtherWeights(@TempDir Path tmp) throws IOException {
        Path own = Files.createDirectories(tmp.resolve("own"));
        Path other = Files.createDirectories(tmp.resolve("other"));
        assertEquals(0, TrainCommandEndToEndTest.train(config(own, "kto", "")));
        assertEquals(0, TrainCommandEndToEndTest.train(config(other, "kto", "ref_model: " + otherModel)));
        JsonNode first = firstLog(other.resolve("out"));
        String reward = first.has("rewards/chosen") ? "rewards/chosen" : "rewards/rejected";
        assertEquals(0.0, firstLog(own.resolve("out")).get(reward).asDouble(), 0.0, "the first step's policy is its own reference");
        assertNotEquals(0.0, first.get(reward).asDouble(), "the base differs from the other weights: " + first);
    }

    @Test
    void referenceKeysOutsideTheirStagesOrWithAnotherTokenizerAreRefused(@TempDir Path tmp) throws IOException {
        String orpo = assertFails(config(tmp, "dpo", "pref_loss: orpo\nref_model: " + otherModel));
        assertTrue(orpo.contains("key 'ref_model': is only used by stage dpo (pref_loss sigmoid, hinge, ipo), kto, ppo and grpo (beta > 0);"
                + " stage dpo with pref_loss orpo has no reference model"), orpo);
        String noModel = assertFails(config(tmp, "dpo", "ref_model_adapters: " + tmp));
        assertTrue(noModel.contains("key 'ref_model_adapters': needs ref_model"), noModel);
        Path smallVocab = tmp.resolve("small-vocab");
        TinyModelFactory.create(smallVocab, new CorpusGenerator(1).documents(50), 400, new TinyModelFactory.Size(32, 64, 1, 4, 2, 256), 3);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            assertEquals(1, TrainCommandEndToEndTest.train(config(tmp, "dpo", "ref_model: " + smallVocab)));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("ref_model: " + smallVocab + " has a vocabulary of"), err.toString());
        assertTrue(err.toString().contains("it needs the same tokenizer"), err.toString());
    }

    private static String assertFails(Path yaml) {
        return org.junit.jupiter.api.Assertions.assertThrows(JtuneException.class, () -> ConfigLoader.load(yaml, List.of())).getMessage();
    }
}
