package io.jtune.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.config.ConfigLoader;
import io.jtune.export.ModelExport;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.LocalChatEngine;
import io.jtune.train.TrainerListener;
import io.jtune.train.workflow.ConsoleProgress;
import io.jtune.train.workflow.TrainWorkflow;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The offline quickstart: in a few minutes on a laptop, a complete fine-tuning with nothing
 * downloaded. It makes a small base model (its own tokenizer, random Llama weights, a short
 * pretraining on text it generates), fine-tunes it with LoRA on the bundled support-assistant
 * dataset, compares base and fine-tuned (held-out loss and answers side by side), exports the
 * merged model, and says what to try next.
 */
public final class Quickstart {
    /** The sizes of the quickstart's base model and runs, chosen to finish in minutes on 2 cores. */
    public record Plan(int vocabSize, TinyModelFactory.Size size, int corpusDocuments, int pretrainSteps, int sftEpochs,
                       int maxNewTokens) {
        public static Plan standard() {
            return new Plan(2048, new TinyModelFactory.Size(192, 512, 4, 6, 2, 512), 4000, 350, 8, 60);
        }
    }

    /** Held-out support questions (not in the dataset), in both of its languages. */
    static final List<String> HELD_OUT = List.of(
            "My order LP480213 was supposed to arrive 6 days ago and it's still not here.",
            "Can I return the notebook I bought 12 days ago? It doesn't fit my bag.",
            "订单LP771902被扣了两次款。",
            "我没收到重置密码的邮件。");
    static final String INSTRUCTION_EN = "You are the customer support assistant of Lark & Pine, an online shop. Answer the customer.";
    static final String INSTRUCTION_ZH = "你是网店 Lark & Pine 的客服助手。请回复顾客。";

    private final Path repoRoot;
    private final Path work;
    private final Plan plan;
    private final PrintStream out;

    public Quickstart(Path repoRoot, Path work, Plan plan, PrintStream out) {
        this.repoRoot = repoRoot;
        this.work = work;
        this.plan = plan;
        this.out = out;
    }

    public record Outcome(Path baseModel, Path adapter, Path merged, Double baseEvalLoss, Double tunedEvalLoss,
                          List<String[]> answers) {}

    public Outcome run() throws IOException {
        long started = System.nanoTime();
        Path base = work.resolve("base");
        banner("1/5 Base model");
        if (Files.isRegularFile(base.resolve("config.json"))) {
            out.println("Reusing the base model in " + base + " (delete it to make a new one).");
        } else {
            makeBaseModel(base);
        }

        banner("2/5 LoRA fine-tuning on data/support_shop.json (192 support conversations, EN + ZH)");
        Path adapter = work.resolve("lora-sft");
        TrainWorkflow.Result sft = new TrainWorkflow(ConfigLoader.fromMap("quickstart sft", sftConfig(base, adapter), List.of()), out)
                .run(List.of(ConsoleProgress.forStdout()));

        banner("3/5 Held-out loss before and after");
        Path baseEval = work.resolve("base-eval");
        Map<String, Object> evalConfig = sftConfig(base, baseEval);
        evalConfig.put("do_train", false);
        evalConfig.put("do_eval", true);
        TrainWorkflow.Result before = new TrainWorkflow(ConfigLoader.fromMap("quickstart eval", evalConfig, List.of()), out)
                .run(List.<TrainerListener>of());
        out.printf("%n  held-out loss   base model: %.4f   fine-tuned: %.4f%n", before.evalLoss(), sft.evalLoss());

        banner("4/5 Answers to held-out questions, base vs fine-tuned");
        List<String[]> answers = sideBySide(base, adapter);

        banner("5/5 Export the merged model");
        Path merged = work.resolve("merged");
        exportMerged(base, adapter, merged);

        printSummary(base, adapter, merged, (System.nanoTime() - started) / 1e9);
        return new Outcome(base, adapter, merged, before.evalLoss(), sft.evalLoss(), answers);
    }

    /** Tokenizer, random weights, then a short pretraining (stage pt, full) on generated text. */
    private void makeBaseModel(Path base) throws IOException {
        CorpusGenerator generator = new CorpusGenerator(20261121);
        List<String> corpus = new ArrayList<>(generator.documents(plan.corpusDocuments()));
        corpus.addAll(generator.dialogues(plan.corpusDocuments() / 2));
        corpus.addAll(policyParagraphs(Files.readString(repoRoot.resolve("data/support_shop.json"))));
        java.util.Collections.shuffle(corpus, new java.util.Random(7));
        List<String> tokenizerTexts = new ArrayList<>(corpus);
        tokenizerTexts.add(Files.readString(repoRoot.resolve("data/support_shop.json")));
        Path init = work.resolve("base-init");
        out.printf("Learning a %d-token BPE vocabulary and initialising a Llama-architecture model (hidden %d, %d layers) ...%n",
                plan.vocabSize(), plan.size().hidden(), plan.size().layers());
        TinyModelFactory.create(init, tokenizerTexts, plan.vocabSize(), plan.size(), 42);

        Path dataDir = work.resolve("data");
        List<Map<String, String>> rows = corpus.stream().map(t -> Map.of("text", t)).toList();
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.writeString(dataDir.resolve("corpus.json"), json.writeValueAsString(rows));
        AtomicFiles.writeString(dataDir.resolve("dataset_info.json"), json.writeValueAsString(
                Map.of("quickstart_corpus", Map.of("file_name", "corpus.json", "columns", Map.of("prompt", "text")))));

        out.printf("Pretraining it on %d generated documents (stage pt, full fine-tuning) ...%n", corpus.size());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_name_or_path", init.toString());
        c.put("stage", "pt");
        c.put("do_train", true);
        c.put("finetuning_type", "full");
        c.put("dataset", "quickstart_corpus");
        c.put("dataset_dir", dataDir.toString());
        c.put("cutoff_len", 128);
        c.put("output_dir", base.toString());
        c.put("overwrite_output_dir", true);
        c.put("per_device_train_batch_size", 8);
        c.put("gradient_accumulation_steps", 1);
        c.put("learning_rate", 3e-3);
        c.put("max_steps", plan.pretrainSteps());
        c.put("lr_scheduler_type", "cosine");
        c.put("warmup_ratio", 0.05);
        c.put("weight_decay", 0.01);
        c.put("logging_steps", 10);
        c.put("save_strategy", "no");
        c.put("disable_gradient_checkpointing", true);
        c.put("plot_loss", true);
        new TrainWorkflow(ConfigLoader.fromMap("quickstart pretraining", c, List.of()), out).run(List.of(ConsoleProgress.forStdout()));
    }

    /**
     * The shop's policies as plain paragraphs: the sentences of the support answers without their
     * opening apology and closing question, shuffled into paragraphs. The base model thereby knows the
     * words and facts; the fine-tuning teaches it to answer a customer in the house style.
     */
    static List<String> policyParagraphs(String supportJson) throws IOException {
        List<String> sentences = new ArrayList<>();
        for (var row : new ObjectMapper().readTree(supportJson)) {
            String[] parts = row.get("output").asText().split("(?<=[.!?。！？])\\s*");
            for (int i = 1; i < parts.length - 1; i++) {
                if (!parts[i].isBlank()) sentences.add(parts[i].strip());
            }
        }
        java.util.Collections.shuffle(sentences, new java.util.Random(11));
        List<String> paragraphs = new ArrayList<>();
        for (int i = 0; i + 4 <= sentences.size(); i += 4) {
            String sep = sentences.get(i).chars().anyMatch(ch -> ch >= 0x4e00) ? "" : " ";
            paragraphs.add(String.join(sep, sentences.subList(i, i + 4)));
        }
        return paragraphs;
    }

    private Map<String, Object> sftConfig(Path base, Path output) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_name_or_path", base.toString());
        c.put("stage", "sft");
        c.put("do_train", true);
        c.put("finetuning_type", "lora");
        c.put("lora_rank", 16);
        c.put("lora_target", "all");
        c.put("dataset", "support_shop");
        c.put("dataset_dir", repoRoot.resolve("data").toString());
        c.put("template", "chatml");
        c.put("cutoff_len", 256);
        c.put("val_size", 0.1);
        c.put("output_dir", output.toString());
        c.put("overwrite_output_dir", true);
        c.put("per_device_train_batch_size", 4);
        c.put("per_device_eval_batch_size", 8);
        c.put("gradient_accumulation_steps", 2);
        c.put("learning_rate", 5e-3);
        c.put("num_train_epochs", plan.sftEpochs());
        c.put("lr_scheduler_type", "cosine");
        c.put("warmup_ratio", 0.1);
        c.put("logging_steps", 5);
        c.put("save_strategy", "no");
        c.put("do_eval", true);
        c.put("disable_gradient_checkpointing", true);
        c.put("plot_loss", true);
        return c;
    }

    private List<String[]> sideBySide(Path base, Path adapter) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_name_or_path", base.toString());
        c.put("adapter_name_or_path", adapter.toString());
        c.put("template", "chatml");
        c.put("finetuning_type", "lora");
        c.put("do_sample", false);
        c.put("max_new_tokens", plan.maxNewTokens());
        c.put("repetition_penalty", 1.2);
        List<String[]> rows = new ArrayList<>();
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(ConfigLoader.fromMap("quickstart chat", c, List.of())))) {
            for (String question : HELD_OUT) {
                boolean chinese = question.chars().anyMatch(ch -> ch >= 0x4e00 && ch <= 0x9fff);
                String prompt = (chinese ? INSTRUCTION_ZH : INSTRUCTION_EN) + "\n" + question;
                engine.setAdapterEnabled(false);
                String before = engine.generate(ChatRequest.of(prompt), piece -> {}).text().strip();
                engine.setAdapterEnabled(true);
                String after = engine.generate(ChatRequest.of(prompt), piece -> {}).text().strip();
                rows.add(new String[] {question, before, after});
                out.println();
                out.println("  Customer:    " + question);
                out.println("  base model:  " + oneLine(before));
                out.println("  fine-tuned:  " + oneLine(after));
            }
        }
        return rows;
    }

    /** Merges the adapter into the base as a HF model directory (what `jtune export` does). */
    private void exportMerged(Path base, Path adapter, Path merged) throws IOException {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("model_name_or_path", base.toString());
        c.put("adapter_name_or_path", adapter.toString());
        c.put("template", "chatml");
        c.put("finetuning_type", "lora");
        c.put("export_dir", merged.toString());
        c.put("export_gguf", "f16");
        new ModelExport(ConfigLoader.fromMap("quickstart export", c, List.of()), out).run();
    }

    private void printSummary(Path base, Path adapter, Path merged, double seconds) {
        banner(String.format("Done in %.0f s", seconds));
        Path cwd = Path.of("").toAbsolutePath();
        out.println("  base model         " + cwd.relativize(base.toAbsolutePath()));
        out.println("  LoRA adapter       " + cwd.relativize(adapter.toAbsolutePath()) + "   (PEFT format; loss curve: training_loss.png)");
        out.println("  merged model       " + cwd.relativize(merged.toAbsolutePath()));
        out.println();
        out.println("Next:");
        out.println("  ./jtune chat examples/inference/quickstart_lora_sft.yaml      talk to the fine-tuned model");
        out.println("  ./jtune api examples/inference/quickstart_lora_sft.yaml       serve it with an OpenAI-compatible API");
        out.println("  ./jtune webui                                                  train, evaluate and chat from the browser");
        out.println("  ./jtune export examples/merge_lora/quickstart_lora_sft.yaml   merge and export (HF, GGUF, Ollama)");
        out.println("  ./jtune download Qwen/Qwen2.5-0.5B-Instruct, then ./jtune train examples/train_lora/qwen2.5-0.5b_lora_sft.yaml");
    }

    private void banner(String title) {
        out.println();
        out.println("== " + title + " " + "=".repeat(Math.max(0, 76 - title.length())));
    }

    private static String oneLine(String s) {
        String flat = s.replace('\n', ' ');
        return flat.isEmpty() ? "(empty)" : flat;
    }
}
