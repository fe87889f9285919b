package io.jtune.quickstart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatModel;
import io.jtune.infer.LocalChatEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart end to end on a reduced plan (a tiny model, a few steps), twice. */
class QuickstartTest {
    /**
     * Minutes become seconds: a tiny model, four pretraining steps, three fine-tuning steps, short
     * answers. Its 400-token vocabulary makes a conversation longer than the example config's
     * cutoff_len, hence the longer one (a cut prompt could not be compared with the chat's).
     */
    private static final Quickstart.Plan REDUCED = new Quickstart.Plan(400, new TinyModelFactory.Size(32, 64, 2, 2, 1, 1024),
            40, 4, 2, 3e-3, List.of("max_steps=3", "per_device_train_batch_size=2", "gradient_accumulation_steps=1", "cutoff_len=1024"),
            List.of("max_new_tokens=6"));

    @TempDir
    static Path dir;
    private static Run first, second;

    private record Run(Quickstart.Outcome outcome, String log) {}

    @BeforeAll
    static void runTwice() throws Exception {
        first = run("a");
        second = run("b");
    }

    private static Run run(String name) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Quickstart.Outcome outcome = new Quickstart(Path.of("."), dir.resolve(name), REDUCED, out).run();
            return new Run(outcome, bytes.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void runsEndToEndPrintsTheFactScoreAndIsDeterministic() throws Exception {
        Quickstart.Outcome o = first.outcome();
        assertTrue(Files.isRegularFile(o.baseModel().resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(o.adapter().resolve("adapter_model.safetensors")));
        assertTrue(Files.isDirectory(o.merged()));
        int questions = HeldOutQuestion.load(Path.of(Quickstart.HELD_OUT)).size();
        assertEquals(questions, o.answers().size());
        assertEquals(questions, o.tunedScore().total().total());
        assertTrue(first.log().contains("right facts"), first.log());
        assertTrue(first.log().contains("base model " + o.baseScore().total() + ", fine-tuned " + o.tunedScore().total()), first.log());
        JsonNode written = new ObjectMapper().readTree(Files.readString(o.baseModel().getParent().resolve("heldout_answers.json")));
        assertEquals(questions, written.size());
        assertEquals(o.answers().get(0)[2], written.get(0).get("finetuned_answer").asText());

        assertEquals(o.baseEvalLoss(), second.outcome().baseEvalLoss());
        assertEquals(o.tunedEvalLoss(), second.outcome().tunedEvalLoss());
        for (int i = 0; i < questions; i++) assertArrayEquals(o.answers().get(i), second.outcome().answers().get(i), "answer " + i);
        assertEquals(o.tunedScore(), second.outcome().tunedScore());
    }

    @Test
    void theChatConfigPromptsExactlyAsTheFineTuningDid() throws Exception {
        Run r = first;
        // The fine-tuning's first example as its log prints it (the pretraining's has no labels):
        // the prompt is what precedes the first learned label.
        String block = Arrays.stream(r.log().split("training example:")).filter(b -> b.contains("label_ids:")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("input_ids:\n\\[([^\\]]*)][\\s\\S]*?label_ids:\n\\[([^\\]]*)]").matcher(block);
        assertTrue(m.find(), block);
        int[] ids = parse(m.group(1)), labels = parse(m.group(2));
        int promptLength = 0;
        while (labels[promptLength] == -100) promptLength++;
        int[] trainedPrompt = Arrays.copyOf(ids, promptLength);

        JtuneConfig chat = ConfigLoader.load(Path.of(Quickstart.CHAT_CONFIG), List.of(
                "model_name_or_path=" + r.outcome().baseModel(), "adapter_name_or_path=" + r.outcome().adapter()));
        assertFalse(chat.generating().doSample(), "greedy decoding, as the quickstart's answers");
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(chat))) {
            String decoded = engine.model().tokenizer().decode(trainedPrompt, false, false);
            Matcher user = Pattern.compile("<\\|im_start\\|>user\n([\\s\\S]*?)<\\|im_end\\|>").matcher(decoded);
            assertTrue(user.find(), decoded);
            assertTrue(decoded.contains("<|im_start|>system\n"), "the training data's system prompt: " + decoded);
            assertArrayEquals(trainedPrompt, engine.promptIds(List.of(ChatMessage.user(user.group(1))), null), decoded);
        }
    }

    private static int[] parse(String list) {
        return Arrays.stream(list.split(",\\s*")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    }
}
