package io.jtune.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The offline quickstart: in a few minutes on a laptop, a complete fine-tuning with nothing
 * downloaded. It makes a small base model (its own tokenizer, random Llama weights, a short
 * pretraining on text it generates), fine-tunes it with LoRA on the bundled support-assistant
 * dataset, compares base and fine-tuned (held-out loss, and the facts they state when answering
 * questions the fine-tuning never saw), exports the merged model, and says what to try next.
 *
 * <p>The fine-tuning and the chat settings are the two example configs
 * (examples/train_lora/quickstart_lora_sft.yaml, examples/inference/quickstart_lora_sft.yaml, and
 * examples/merge_lora/quickstart_lora_sft.yaml for the export) with only the folders replaced, so
 * `jtune train`, `jtune chat` and `jtune export` on them do what the quickstart did and answer as
 * it did.
 */
public final class Quickstart {
    static final String TRAIN_CONFIG = "examples/train_lora/quickstart_lora_sft.yaml";
    static final String CHAT_CONFIG = "examples/inference/quickstart_lora_sft.yaml";
    static final String EXPORT_CONFIG = "examples/merge_lora/quickstart_lora_sft.yaml";
    static final String HELD_OUT = "data/quickstart_heldout.json";
    /** How many held-out answers are printed in full (the first English and Chinese ones); the rest are scored. */
    private static final int SHOWN_PER_LANGUAGE = 2;

    /**
     * The sizes of the quickstart's base model and runs, chosen to finish in about five minutes on
     * 2 cores.
     *
     * @param sftOverrides   config overrides for the fine-tuning (tests shorten it); empty: the example config as is
     * @param chatOverrides  config overrides for the answers (tests shorten them); empty: the example config as is
     */
    public record Plan(int vocabSize, TinyModelFactory.Size size, int corpusDocuments, int pretrainSteps, int pretrainBatch,
                       double pretrainLearningRate, List<String> sftOverrides, List<String> chatOverrides) {
        public Plan {
            sftOverrides = List.copyOf(sftOverrides);
            chatOverrides = List.copyOf(chatOverrides);
        }

        /**
         * A 4096-token vocabulary (every character of the data one token) and a 4-layer model of
         * hidden size 192, pretrained for 700 steps of 8 x 256 tokens (about 1.4M tokens, three minutes
         * on two cores); the fine-tuning and the answers as the example configs say.
         */
        public static Plan standard() {
            return new Plan(4096, new TinyModelFactory.Size(192, 512, 4, 6, 2, 512), 1000, 700, 8, 3e-3, List.of(), List.of());
        }
    }

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

    /** What a run made and measured; {@code answers} rows are {question, base answer, fine-tuned answer}. */
    public record Outcome(Path baseModel, Path adapter, Path merged, Double baseEvalLoss, Double tunedEvalLoss,
                          List<String[]> answers, FactScore baseScore, FactScore tunedScore) {}

    public Outcome run() throws IOException {
        long started = System.nanoTime();
        List<HeldOutQuestion> questions = HeldOutQuestion.load(repoRoot.resolve(HELD_OUT));
        Path base = work.resolve("base");
        banner("1/5 Base model");
        if (Files.isRegularFile(base.resolve("config.json"))) {
            out.println("Reusing the base model in " + base + " (delete it to make a new one).");
        } else {
            makeBaseModel(base);
        }

        banner("2/5 LoRA fine-tuning on data/support_shop.json (192 support conversations, EN + ZH)");
        Path adapter = work.resolve("lora-sft");
        TrainWorkflow.Result sft = new TrainWorkflow(sftConfig(base, adapter, List.of()), out)
                .run(List.of(ConsoleProgress.forStdout()));

        banner("3/5 Held-out loss before and after");
        TrainWorkflow.Result before = new TrainWorkflow(
                sftConfig(base, work.resolve("base-eval"), List.of("do_train=false", "do_eval=true", "plot_loss=false")), out)
                .run(List.<TrainerListener>of());
        out.printf("%n  held-out loss   base model: %.4f   fine-tuned: %.4f%n", before.evalLoss(), sft.evalLoss());

        banner("4/5 " + questions.size() + " questions the fine-tuning never saw: does the answer state the shop's policy?");
        List<String[]> answers = askBoth(base, adapter, questions);
        FactScore baseScore = FactScore.of(questions, answers.stream().map(a -> a[1]).toList());
        FactScore tunedScore = FactScore.of(questions, answers.stream().map(a -> a[2]).toList());
        printScore(baseScore, tunedScore);

        banner("5/5 Export the merged model");
        Path merged = work.resolve("merged");
        exportMerged(base, adapter, merged);

        printSummary(base, adapter, merged, baseScore, tunedScore, (System.nanoTime() - started) / 1e9);
        return new Outcome(base, adapter, merged, before.evalLoss(), sft.evalLoss(), answers, baseScore, tunedScore);
    }

    /**
     * Tokenizer, random weights, then a short pretraining (stage pt, full) on generated text: prose
     * about shops, parcels and daily life, and short chats. None of it states the shop's policies;
     * the fine-tuning teaches those.
     */
    private void makeBaseModel(Path base) throws IOException {
        String support = Files.readString(repoRoot.resolve("data/support_shop.json"));
        List<String> corpus = corpus(plan.corpusDocuments(), support);
        List<String> tokenizerTexts = new ArrayList<>();
        for (String text : corpus) tokenizerTexts.add(hanApart(text));
        tokenizerTexts.add(hanApart(support));
        tokenizerTexts.add(everyCharacterAlone(corpus, support));
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
        c.put("cutoff_len", 256);   // as long as a support conversation: the fine-tuning meets no unseen position
        c.put("output_dir", base.toString());
        c.put("overwrite_output_dir", true);
        c.put("per_device_train_batch_size", plan.pretrainBatch());
        c.put("gradient_accumulation_steps", 1);
        c.put("learning_rate", plan.pretrainLearningRate());
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
     * Every non-ASCII character of the texts, each alone on a line, {@value #CHARACTER_REPEATS}
     * times. Given to the BPE trainer, this makes every such character one token (its two or three
     * UTF-8 bytes are the most frequent pairs), before the merges that join characters into words.
     * Without it, characters that only occur inside rarer words stay split into byte tokens, and a
     * small model that writes the first bytes of a character but not the rest writes U+FFFD.
     */
    static String everyCharacterAlone(List<String> corpus, String support) {
        java.util.SortedSet<Integer> characters = new java.util.TreeSet<>();
        for (String text : corpus) text.codePoints().filter(c -> c > 0x7f).forEach(characters::add);
        support.codePoints().filter(c -> c > 0x7f).forEach(characters::add);
        StringBuilder lines = new StringBuilder();
        for (int r = 0; r < CHARACTER_REPEATS; r++) {
            for (int c : characters) lines.appendCodePoint(c).append('\n');
        }
        return lines.toString();
    }

    private static final int CHARACTER_REPEATS = 1000;

    /**
     * The text with a line break after every Chinese character, for the BPE trainer only: the
     * pre-tokenizer keeps a run of Chinese characters together, so BPE would learn whole phrases of
     * the training data as tokens, and the same words in a new phrasing would become other tokens.
     * Learned apart, every Chinese character is one token in any sentence, as in BERT's Chinese
     * vocabulary: what the model learns about a word carries over to questions it has not seen.
     */
    static String hanApart(String text) {
        StringBuilder sb = new StringBuilder(text.length() * 2);
        text.codePoints().forEach(c -> {
            sb.appendCodePoint(c);
            if (Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN) sb.append('\n');
        });
        return sb.toString();
    }

    /**
     * The pretraining texts, shuffled: generated documents, half as many everyday chats, and the
     * support data as other shops would write it (its policy sentences and its conversations with
     * every number changed, see {@link CorpusGenerator#supportChatsOfOtherShops}). Deterministic.
     */
    static List<String> corpus(int documents, String supportJson) {
        CorpusGenerator generator = new CorpusGenerator(20261121);
        List<String> corpus = new ArrayList<>(generator.documents(documents));
        corpus.addAll(generator.dialogues(documents / 2));
        corpus.addAll(generator.policiesOfOtherShops(supportJson, POLICY_COPIES));
        corpus.addAll(generator.supportChatsOfOtherShops(supportJson, POLICY_COPIES));
        Collections.shuffle(corpus, new Random(7));
        return corpus;
    }

    /** Each policy sentence and support chat appears this many times in the pretraining text, each time with other numbers. */
    private static final int POLICY_COPIES = 8;

    /** The example fine-tuning config with the quickstart's folders (and the plan's overrides, then {@code more}). */
    private JtuneConfig sftConfig(Path base, Path output, List<String> more) {
        List<String> overrides = new ArrayList<>(List.of(
                "model_name_or_path=" + base, "output_dir=" + output, "dataset_dir=" + repoRoot.resolve("data")));
        overrides.addAll(plan.sftOverrides());
        overrides.addAll(more);
        return ConfigLoader.load(repoRoot.resolve(TRAIN_CONFIG), overrides);
    }

    /** The example chat config with the quickstart's folders: what `jtune chat` and `jtune api` use. */
    private JtuneConfig chatConfig(Path base, Path adapter) {
        List<String> overrides = new ArrayList<>(List.of("model_name_or_path=" + base, "adapter_name_or_path=" + adapter));
        overrides.addAll(plan.chatOverrides());
        return ConfigLoader.load(repoRoot.resolve(CHAT_CONFIG), overrides);
    }

    /**
     * Asks every question twice, adapter off (the base model) and on, as a chat with one user
     * message: the prompt and the greedy decoding of `jtune chat` on the example config. Prints the
     * first answers of each language in full and a mark per question, and writes every answer to
     * heldout_answers.json.
     */
    private List<String[]> askBoth(Path base, Path adapter, List<HeldOutQuestion> questions) throws IOException {
        List<String[]> rows = new ArrayList<>();
        List<Map<String, Object>> report = new ArrayList<>();
        Map<String, Integer> shown = new HashMap<>();
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(chatConfig(base, adapter)))) {
            for (HeldOutQuestion q : questions) {
                engine.setAdapterEnabled(false);
                String before = engine.generate(ChatRequest.of(q.question()), piece -> {}).text().strip();
                engine.setAdapterEnabled(true);
                String after = engine.generate(ChatRequest.of(q.question()), piece -> {}).text().strip();
                rows.add(new String[] {q.question(), before, after});
                boolean baseRight = q.isStatedIn(before), tunedRight = q.isStatedIn(after);
                report.add(answerRecord(q, before, baseRight, after, tunedRight));
                if (shown.merge(q.lang(), 1, Integer::sum) <= SHOWN_PER_LANGUAGE) {
                    out.println();
                    out.println("  Customer:    " + q.question());
                    out.println("  base model:  " + oneLine(before));
                    out.println("  fine-tuned:  " + oneLine(after));
                    out.println("  " + q.fact() + " " + q.keywords() + ":  base " + mark(baseRight) + "  fine-tuned " + mark(tunedRight));
                }
            }
        }
        out.println();
        out.printf("  %-26s %-6s %-11s %s%n", "fact", "base", "fine-tuned", "question");
        for (int i = 0; i < questions.size(); i++) {
            HeldOutQuestion q = questions.get(i);
            out.printf("  %-26s %-6s %-11s %s%n", q.fact(), mark(q.isStatedIn(rows.get(i)[1])), mark(q.isStatedIn(rows.get(i)[2])), q.question());
        }
        AtomicFiles.writeString(work.resolve("heldout_answers.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        return rows;
    }

    private static Map<String, Object> answerRecord(HeldOutQuestion q, String before, boolean baseRight, String after, boolean tunedRight) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("lang", q.lang());
        r.put("fact", q.fact());
        r.put("question", q.question());
        r.put("keywords", q.keywords());
        r.put("base_answer", before);
        r.put("base_states_fact", baseRight);
        r.put("finetuned_answer", after);
        r.put("finetuned_states_fact", tunedRight);
        return r;
    }

    private void printScore(FactScore base, FactScore tuned) {
        out.println();
        out.printf("  right facts           %-14s %s%n", "base model", "fine-tuned");
        out.printf("    English             %-14s %s%n", base.english(), tuned.english());
        out.printf("    Chinese             %-14s %s%n", base.chinese(), tuned.chinese());
        out.printf("    all                 %-14s %s%n", base.total(), tuned.total());
        out.println("  (right: the answer holds the fact's keywords and no broken character; every answer: "
                + work.resolve("heldout_answers.json") + ")");
    }

    private static String mark(boolean right) {
        return right ? "yes" : "no";
    }

    /** Merges the adapter into the base as a HF model directory: `jtune export` on the example config, with the quickstart's folders. */
    private void exportMerged(Path base, Path adapter, Path merged) throws IOException {
        JtuneConfig config = ConfigLoader.load(repoRoot.resolve(EXPORT_CONFIG),
                List.of("model_name_or_path=" + base, "adapter_name_or_path=" + adapter, "export_dir=" + merged));
        new ModelExport(config, out).run();
    }

    private void printSummary(Path base, Path adapter, Path merged, FactScore baseScore, FactScore tunedScore, double seconds) {
        banner(String.format("Done in %.0f s", seconds));
        out.println("  right facts on the held-out questions: base model " + baseScore.total() + ", fine-tuned " + tunedScore.total());
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
