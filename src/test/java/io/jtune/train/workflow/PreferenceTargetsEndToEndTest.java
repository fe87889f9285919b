package io.jtune.train.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.cli.Main;
import io.jtune.quickstart.CorpusGenerator;
import io.jtune.quickstart.TinyModelFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end targets on a tiny model and a learnable preference set whose evaluation
 * pairs are about devices training never mentions: dpo raises eval_rewards/accuracies from the
 * untrained policy's to at least 0.9, an rm reaches an eval accuracy of at least 0.9; and bad records
 * (chosen equal to rejected, an empty answer, a missing column, a kto_tag that is not a boolean) are
 * skipped with their count and a first example.
 */
@Timeout(300)
class PreferenceTargetsEndToEndTest {
    @TempDir static Path shared;
    static Path model;
    static Path data;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeModelAndData() throws IOException {
        model = shared.resolve("tiny-model");
        TinyModelFactory.create(model, new CorpusGenerator(1).documents(300), 600, new TinyModelFactory.Size(32, 64, 2, 4, 2, 256), 9);
        data = PreferencePairs.write(shared.resolve("data"), 2, 7);
    }

    static Path config(Path dir, String stage) throws IOException {
        Path yaml = dir.resolve(stage + ".yaml");
        Files.writeString(yaml, String.join("\n", "model_name_or_path: " + model, "stage: " + stage, "do_train: true",
                "finetuning_type: lora", "lora_rank: 4", "dataset: pairs_train", "eval_dataset: pairs_eval", "dataset_dir: " + data,
                "template: chatml", "cutoff_len: 96", "output_dir: " + dir.resolve("out"), "per_device_train_batch_size: 4",
                "per_device_eval_batch_size: 8", "learning_rate: 1.0e-2", "num_train_epochs: 1", "logging_steps: 2",
                "eval_strategy: steps", "eval_steps: 4", "pref_beta: 0.5", ""));
        return yaml;
    }

    /** Runs `jtune train` and returns what it printed. */
    static String train(Path yaml, String... overrides) {
        List<String> args = new ArrayList<>(List.of("train", yaml.toString()));
        args.addAll(List.of(overrides));
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, Main.newCommandLine().execute(args.toArray(String[]::new)), buf.toString());
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    static JsonNode evalResults(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("eval_results.json").toFile());
    }

    @Test
    void dpoRaisesTheHeldOutRewardAccuracyToAtLeast90Percent(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "dpo");
        // before: the untrained policy is its reference, every reward is 0 and no pair is ranked right
        train(yaml, "do_train=false", "do_eval=true", "output_dir=" + tmp.resolve("before"));
        assertEquals(0.0, evalResults(tmp.resolve("before")).get("eval_rewards/accuracies").asDouble());
        train(yaml);
        JsonNode after = JSON.readTree(tmp.resolve("out/all_results.json").toFile());
        assertTrue(after.get("eval_rewards/accuracies").asDouble() >= 0.9, "held-out pairs ranked right after dpo: " + after);
        assertTrue(after.get("eval_rewards/margins").asDouble() > 0, after.toString());
    }

    @Test
    void aRewardModelReachesAHeldOutAccuracyOfAtLeast90Percent(@TempDir Path tmp) throws IOException {
        Path yaml = config(tmp, "rm");
        train(yaml, "do_train=false", "do_eval=true", "output_dir=" + tmp.resolve("before"));
        double before = evalResults(tmp.resolve("before")).get("eval_accuracy").asDouble();
        assertTrue(before < 0.9, "the untrained value head does not rank the pairs already: " + before);
        train(yaml);
        double after = JSON.readTree(tmp.resolve("out/all_results.json").toFile()).get("eval_accuracy").asDouble();
        assertTrue(after >= 0.9, "held-out accuracy after training: " + after);
    }

    @Test
    void badRecordsAreSkippedWithTheirCountAndAFirstExample(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < 4; i++) pairs.add("{\"instruction\": \"q" + i + "\", \"chosen\": \"good " + i + "\", \"rejected\": \"bad " + i + "\"}");
        pairs.add("{\"instruction\": \"same\", \"chosen\": \"the answer\", \"rejected\": \"the answer\"}");
        pairs.add("{\"instruction\": \"same again\", \"chosen\": \"x\", \"rejected\": \"x\"}");
        pairs.add("{\"instruction\": \"empty\", \"chosen\": \"\", \"rejected\": \"no\"}");
        pairs.add("{\"instruction\": \"missing\", \"chosen\": \"only this\"}");
        Files.writeString(dir.resolve("pairs.jsonl"), String.join("\n", pairs) + "\n");
        Files.writeString(dir.resolve("tags.jsonl"), String.join("\n",
                "{\"instruction\": \"q1\", \"output\": \"good\", \"label\": true}",
                "{\"instruction\": \"q2\", \"output\": \"bad\", \"label\": false}",
                "{\"instruction\": \"q3\", \"output\": \"meh\", \"label\": \"maybe\"}",
                "{\"instruction\": \"q4\", \"output\": \"fine\", \"label\": true}") + "\n");
        Files.writeString(dir.resolve("dataset_info.json"), """
                {"pairs": {"file_name": "pairs.jsonl", "ranking": true,
                           "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}},
                 "tags": {"file_name": "tags.jsonl", "columns": {"prompt": "instruction", "response": "output", "kto_tag": "label"}}}
                """);
        Path yaml = config(tmp, "dpo");
        String dpo = train(yaml, "dataset=pairs", "dataset_dir=" + dir, "eval_dataset=null", "eval_strategy=no", "max_steps=1");
        assertTrue(dpo.contains("Skipped 4 record(s):"), dpo);
        assertTrue(dpo.contains("2 x chosen equals rejected (first: pairs/pairs.jsonl:5: both answers are \"the answer\"; the pair teaches nothing)"), dpo);
        assertTrue(dpo.contains("1 x empty answer in a preference pair (first: pairs/pairs.jsonl:7: the chosen answer is empty)"), dpo);
        assertTrue(dpo.contains("1 x preference record without chosen/rejected strings (first: pairs/pairs.jsonl:8"), dpo);
        String kto = train(config(tmp, "kto"), "output_dir=" + tmp.resolve("kto"), "dataset=tags", "dataset_dir=" + dir, "eval_dataset=null", "eval_strategy=no", "max_steps=1");
        assertTrue(kto.contains("Skipped 1 record(s):") && kto.contains("1 x kto_tag is not a boolean (first: tags/tags.jsonl:3: ")
                && kto.contains("column \"label\" is the string \"maybe\"; expected true or false)"), kto);
    }
}
