package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.infer.metrics.SimilarityMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictWorkflowTest {
    @TempDir Path tmp;

    private Path writeDataset() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("dataset_info.json"), "{\"demo\": {\"file_name\": \"demo.json\"}}");
        Files.writeString(data.resolve("demo.json"), """
                [{"instruction": "hello", "input": "", "output": "hello world"},
                 {"instruction": "你好", "input": "", "output": "你好，世界！"},
                 {"instruction": "1 + 1 =", "input": "", "output": "2"}]
                """);
        return data;
    }

    @Test
    void writesPredictionsAndSimilarityMetricsAsLlamaFactory() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        Path data = writeDataset();
        Path out = tmp.resolve("out");
        Path config = tmp.resolve("predict.yaml");
        Files.writeString(config, String.join("\n", "model_name_or_path: " + modelDir, "template: qwen", "stage: sft",
                "do_predict: true", "predict_with_generate: true", "eval_dataset: demo", "dataset_dir: " + data,
                "output_dir: " + out, "do_sample: false", "max_new_tokens: 8", "per_device_eval_batch_size: 2", ""));
        // Through `jtune train`, as LLaMA-Factory runs prediction.
        picocli.CommandLine cl = io.jtune.cli.Main.newCommandLine();
        assertEquals(0, cl.execute("train", config.toString()));

        List<String> lines = Files.readAllLines(out.resolve(PredictWorkflow.PREDICTIONS_FILE));
        assertEquals(3, lines.size());
        ObjectMapper json = new ObjectMapper();
        SimilarityMetrics expected = new SimilarityMetrics();
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, "max_new_tokens=8")))) {
            String[] queries = {"hello", "你好", "1 + 1 ="};
            // Labels are the template's whole assistant turn decoded without special tokens: qwen's
            // "{{content}}<|im_end|>\n" leaves a trailing newline, as in LLaMA-Factory's files.
            String[] labels = {"hello world\n", "你好，世界！\n", "2\n"};
            for (int i = 0; i < 3; i++) {
                JsonNode line = json.readTree(lines.get(i));
                assertEquals(List.of("prompt", "predict", "label"), iterable(line));
                int[] prompt = engine.promptIds(List.of(ChatMessage.user(queries[i])), null);
                assertEquals(engine.model().tokenizer().decode(prompt, false), line.get("prompt").asText());
                assertEquals(labels[i], line.get("label").asText());
                String reply = engine.generate(ChatRequest.of(queries[i]), TokenListener.IGNORE).text();
                // the file holds the whole decode, as LLaMA-Factory's batch_decode: a reply cut by max_new_tokens
                // inside a character ends in U+FFFD there, where the chat stream drops the half character
                String predict = line.get("predict").asText();
                assertEquals(reply, predict.replaceAll("\uFFFD+$", ""));
                expected.add(predict, labels[i]);
            }
        }
        assertTrue(lines.get(1).contains("\"label\": \"你好，世界！\\n\""), "ensure_ascii=False, Python separators: " + lines.get(1));

        JsonNode results = json.readTree(out.resolve("predict_results.json").toFile());
        for (Map.Entry<String, Double> e : expected.result().entrySet()) {
            assertEquals(e.getValue(), results.get("predict_" + e.getKey()).asDouble(), 1e-9, e.getKey());
        }
        assertTrue(results.get("predict_runtime").asDouble() > 0);
        // predict_runtime is rounded to 4 decimals as HF rounds it, so on a run of a few ms the rate it
        // implies differs from the reported one by up to 0.00005 / runtime, relatively.
        double runtime = results.get("predict_runtime").asDouble();
        assertEquals(3 / runtime, results.get("predict_samples_per_second").asDouble(),
                (0.01 + 0.00005 / runtime) * 3 / runtime + 1e-3);
        assertTrue(results.has("predict_steps_per_second"));
        assertTrue(Files.exists(out.resolve("all_results.json")));
    }

    @Test
    void withoutATemplatePredictionRendersTheModelsChatTemplate() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        ModelTemplateFormatTest.setChatTemplate(modelDir, ModelTemplateFormatTest.CHAT_TEMPLATE);
        Path data = writeDataset();
        Path out = tmp.resolve("own-template");
        Path config = tmp.resolve("predict-own.yaml");
        Files.writeString(config, String.join("\n", "model_name_or_path: " + modelDir, "stage: sft",
                "do_predict: true", "predict_with_generate: true", "eval_dataset: demo", "dataset_dir: " + data,
                "output_dir: " + out, "do_sample: false", "max_new_tokens: 4", ""));
        assertEquals(0, io.jtune.cli.Main.newCommandLine().execute("train", config.toString()));
        List<String> lines = Files.readAllLines(out.resolve(PredictWorkflow.PREDICTIONS_FILE));
        assertEquals(3, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.getFirst());
        assertEquals("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n", first.get("prompt").asText());
        // The label is what the template writes after the generation prompt for the reference answer.
        assertEquals("hello world\n", first.get("label").asText());
    }

    @Test
    void trainThenPredictUsesTheAdapterJustSaved() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        Path data = writeDataset();
        Path out = tmp.resolve("trained");
        Path config = tmp.resolve("train_predict.yaml");
        Files.writeString(config, String.join("\n", "model_name_or_path: " + modelDir, "template: qwen", "stage: sft",
                "do_train: true", "finetuning_type: lora", "lora_rank: 2", "dataset: demo", "max_steps: 1",
                "per_device_train_batch_size: 1", "save_strategy: 'no'", "report_to: none", "cutoff_len: 64",
                "do_predict: true", "predict_with_generate: true", "eval_dataset: demo", "dataset_dir: " + data,
                "output_dir: " + out, "do_sample: false", "max_new_tokens: 4", ""));
        assertEquals(0, io.jtune.cli.Main.newCommandLine().execute("train", config.toString()));
        assertTrue(Files.exists(out.resolve("adapter_model.safetensors")));
        assertEquals(3, Files.readAllLines(out.resolve(PredictWorkflow.PREDICTIONS_FILE)).size());
        JsonNode all = new ObjectMapper().readTree(out.resolve("all_results.json").toFile());
        assertTrue(all.has("train_loss") && all.has("predict_rouge-l"), all.toString());
    }

    /** As LLaMA-Factory: without template, training parses the model's chat template and prediction renders it. */
    @Test
    void trainAndPredictWithoutATemplateUseTheModelsChatTemplate() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        ModelTemplateFormatTest.setChatTemplate(modelDir, ModelTemplateFormatTest.CHAT_TEMPLATE);
        Path data = writeDataset();
        Path out = tmp.resolve("trained-own");
        Path config = tmp.resolve("train_predict_own.yaml");
        Files.writeString(config, String.join("\n", "model_name_or_path: " + modelDir, "stage: sft",
                "do_train: true", "finetuning_type: lora", "lora_rank: 2", "dataset: demo", "max_steps: 1",
                "per_device_train_batch_size: 1", "save_strategy: 'no'", "report_to: none", "cutoff_len: 64", "overwrite_cache: true",
                "do_predict: true", "predict_with_generate: true", "eval_dataset: demo", "dataset_dir: " + data,
                "output_dir: " + out, "do_sample: false", "max_new_tokens: 4", ""));
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(0, io.jtune.cli.Main.newCommandLine().execute("train", config.toString()));
        } finally {
            System.setOut(stdout);
        }
        String printed = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(printed.contains("using the model's chat template, parsed as LLaMA-Factory parses it"), printed);
        assertTrue(printed.contains("<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n"), printed);
        assertEquals(3, Files.readAllLines(out.resolve(PredictWorkflow.PREDICTIONS_FILE)).size());
    }

    @Test
    void aCancelledPredictionStopsBeforeTheNextExampleAndWritesNothing() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        Path data = writeDataset();
        Path out = tmp.resolve("cancelled");
        var cfg = ConfigLoader.fromMap("test", Map.of("model_name_or_path", modelDir.toString(), "template", "qwen",
                "do_predict", true, "predict_with_generate", true, "eval_dataset", "demo", "dataset_dir", data.toString(),
                "output_dir", out.toString()), List.of());
        Cancellation cancellation = new Cancellation();
        cancellation.cancel(); // the web UI's Abort, pressed while the model was loading
        JtuneException e = assertThrows(JtuneException.class,
                () -> new PredictWorkflow(cfg, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), cancellation).run());
        assertEquals("prediction stopped after 0 of 3 example(s); nothing was written to " + out, e.getMessage());
        assertTrue(!Files.exists(out.resolve(PredictWorkflow.PREDICTIONS_FILE)));
    }

    @Test
    void predictionWithoutGenerationIsRefusedClearly() throws Exception {
        Path modelDir = TinyChatModels.write(tmp);
        var cfg = ConfigLoader.fromMap("test", Map.of("model_name_or_path", modelDir.toString(), "template", "qwen",
                "do_predict", true, "eval_dataset", "demo", "output_dir", tmp.resolve("o").toString()), List.of());
        JtuneException e = assertThrows(JtuneException.class, () -> new PredictWorkflow(cfg, System.out).run());
        assertTrue(e.getMessage().contains("predict_with_generate: true"), e.getMessage());
    }

    @Test
    void cutoffSplitsAsInferSeqlen() {
        assertArrayEquals(new int[] {10, 5}, PredictionExamples.inferSeqlen(10, 5, 100));
        assertArrayEquals(new int[] {50, 50}, PredictionExamples.inferSeqlen(300, 300, 100));
        assertArrayEquals(new int[] {30, 70}, PredictionExamples.inferSeqlen(30, 200, 100));
        assertArrayEquals(new int[] {75, 25}, PredictionExamples.inferSeqlen(300, 100, 100));
    }

    private static List<String> iterable(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
