package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.model.InferenceSession;
import io.jtune.model.LoraAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Continuous batching gives each generation the tokens it gets alone, while many run together, join, leave and are stopped. */
class ContinuousBatcherTest {
    @TempDir static Path tmp;
    static ChatModel model;
    static LocalChatEngine prompts;   // only for building prompt ids
    static LoraAdapter a, b;
    static Path modelDir;

    @BeforeAll
    static void load() throws IOException {
        modelDir = TinyChatModels.write(tmp);
        model = ChatModel.load(TinyChatModels.config(modelDir, "max_new_tokens=16",
                "lora_modules=a=" + TinyAdapters.write(modelDir, tmp.resolve("a"), 1) + ",b=" + TinyAdapters.write(modelDir, tmp.resolve("b"), 2)));
        a = model.servedAdapters().get("a");
        b = model.servedAdapters().get("b");
        prompts = new LocalChatEngine(model, 1);
    }

    @AfterAll
    static void close() {
        prompts.close();
    }

    static int[] prompt(String message) {
        return prompts.promptIds(List.of(ChatMessage.user(message)), null);
    }

    /** The reference: the sequential decoding loop over a session of its own. */
    static int[] alone(int[] prompt, LoraAdapter adapter, GenerationSettings settings) {
        return Generator.generate(new InferenceSession(model.model(), adapter), prompt, settings, model.stopIds(), null).tokens();
    }

    static int[] drain(BatchedGeneration g) throws InterruptedException {
        while (g.next() >= 0) { /* tokens also come in end().tokens() */ }
        return g.end().tokens();
    }

    @Test
    void concurrentGenerationsWithDifferentAdaptersDecodeTogetherAsIfAlone() throws Exception {
        List<String> messages = List.of("hello world", "你好，世界", "the model says hello to the world.", "1 + 1 = 2", "hi", "user assistant");
        LoraAdapter[] adapters = {null, a, b, a, null, b};
        GenerationSettings settings = model.defaults();
        List<int[]> expected = new ArrayList<>();
        int totalTokens = 0;
        for (int i = 0; i < messages.size(); i++) {
            expected.add(alone(prompt(messages.get(i)), adapters[i], settings));
            totalTokens += expected.getLast().length;
        }
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 4, 5)) { // 4 at once, prompts in chunks of 5
            ExecutorService pool = Executors.newFixedThreadPool(messages.size());
            try {
                List<Future<int[]>> results = new ArrayList<>();
                for (int i = 0; i < messages.size(); i++) {
                    BatchedGeneration g = batcher.submit(prompt(messages.get(i)), adapters[i], settings, model.stopIds());
                    results.add(pool.submit(() -> drain(g)));
                }
                for (int i = 0; i < messages.size(); i++) assertArrayEquals(expected.get(i), results.get(i).get(60, TimeUnit.SECONDS), messages.get(i));
            } finally {
                pool.shutdownNow();
            }
            long prefillSteps = 0;
            for (String m : messages) prefillSteps += (prompt(m).length + 4) / 5;
            assertTrue(batcher.steps() < totalTokens + prefillSteps,
                    "sequences shared steps: " + batcher.steps() + " steps for " + totalTokens + " tokens and " + prefillSteps + " prefill chunks");
            assertEquals(0, batcher.running());
        }
    }

    @Test
    void sampledGenerationsAreReproducibleInABatch() throws Exception {
        GenerationSettings settings = model.defaults().with(new SamplingParams(true, 0.9, 0.9, 20, 12, List.of(), 7L, 0.3, 0.2, 1.1));
        List<String> messages = List.of("hello world", "你好", "1 + 1 = 2");
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 3, 128)) {
            List<BatchedGeneration> running = new ArrayList<>();
            for (String m : messages) running.add(batcher.submit(prompt(m), b, settings, model.stopIds()));
            for (int i = 0; i < messages.size(); i++) assertArrayEquals(alone(prompt(messages.get(i)), b, settings), drain(running.get(i)));
        }
    }

    @Test
    void aStoppedGenerationLeavesAndTheOthersGoOn() throws Exception {
        GenerationSettings settings = model.defaults();
        int[] expected = alone(prompt("hello world"), a, settings);
        // A long generation (no stop id, most of the context) is stopped after its first token.
        GenerationSettings long_ = GenerationSettings.greedy(400);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 8, 128)) {
            BatchedGeneration stopped = batcher.submit(prompt("你好"), b, long_, java.util.Set.of());
            BatchedGeneration kept = batcher.submit(prompt("hello world"), a, settings, model.stopIds());
            stopped.next();
            stopped.stop();
            while (stopped.next() >= 0) { /* what was produced before the stop */ }
            assertEquals(FinishReason.CANCELLED, stopped.end().reason());
            assertTrue(stopped.end().tokens().length < 400);
            assertArrayEquals(expected, drain(kept));
        }
        // Stopped while waiting for a place in a full batch: it never runs.
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 1, 128)) {
            BatchedGeneration running = batcher.submit(prompt("hello world"), a, long_, java.util.Set.of());
            BatchedGeneration waiting = batcher.submit(prompt("你好"), b, settings, model.stopIds());
            waiting.stop();
            assertEquals(400, drain(running).length);
            assertEquals(-1, waiting.next());
            assertEquals(FinishReason.CANCELLED, waiting.end().reason());
            assertEquals(0, waiting.end().tokens().length);
        }
    }

    @Test
    void aChatsNextTurnReusesTheCachedPrefix() throws Exception {
        GenerationSettings settings = model.defaults();
        try (LocalChatEngine engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir, "max_new_tokens=16")), 2)) {
            ChatResult first = engine.generate(ChatRequest.of("hello world"), TokenListener.IGNORE);
            ChatRequest next = new ChatRequest(List.of(ChatMessage.user("hello world"), ChatMessage.assistant(first.text()), ChatMessage.user("你好")),
                    null, SamplingParams.DEFAULTS, new Cancellation());
            int[] nextPrompt = engine.promptIds(next.messages(), null);
            String reply = engine.generate(next, TokenListener.IGNORE).text();
            assertEquals(model.tokenizer().decode(alone(nextPrompt, model.adapter(), settings), model.skipSpecialTokens())
                    .replace("<|im_end|>", "").replaceAll("\uFFFD+$", ""), reply.replace("<|im_end|>", ""));
        }
    }

    @Test
    void theNextTurnPrefillsOnlyItsNewTokens() throws Exception {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 2, 128)) {
            int[] first = prompt("hello world");
            BatchedGeneration g = batcher.submit(first, a, model.defaults(), model.stopIds());
            int[] reply = drain(g);
            int[] next = new int[first.length + reply.length + 3];
            System.arraycopy(first, 0, next, 0, first.length);
            System.arraycopy(reply, 0, next, first.length, reply.length);
            BatchedGeneration other = batcher.submit(next, b, model.defaults(), model.stopIds()); // another adapter: no reuse
            drain(other);
            assertEquals(0, other.reusedPromptTokens());
            BatchedGeneration turn = batcher.submit(next, a, model.defaults(), model.stopIds());
            drain(turn);
            // the cache holds the prompt and the reply but its last token (never fed back)
            assertEquals(first.length + reply.length - 1, turn.reusedPromptTokens());
            assertArrayEquals(alone(next, a, model.defaults()), turn.end().tokens());
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedAtOnce() {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.model(), 2, 16)) {
            int[] tooLong = new int[batcher.maxLength()];
            assertThrows(PromptTooLongException.class, () -> batcher.submit(tooLong, null, model.defaults(), model.stopIds()));
        }
    }
}
