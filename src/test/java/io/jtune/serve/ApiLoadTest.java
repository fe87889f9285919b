package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many OpenAI clients streaming at once on loopback: every reply must arrive whole and be the reply to
 * its own prompt (no interleaving), the model must never run two generations at once, and the heap
 * after GC must not grow from round to round.
 */
class ApiLoadTest {
    static final int CLIENTS = 32;
    static final int REQUESTS_PER_CLIENT = 2;
    static final int ROUNDS = 3; // the first one warms up; the heap is compared after it and after the last
    static final long MAX_HEAP_GROWTH_BYTES = 16L << 20;

    @Test
    void concurrentStreamsAreCompleteSeparateAndMemoryStaysFlat() {
        FakeChatEngine engine = new FakeChatEngine(300);
        ApiServer server = ApiServer.start(engine, ApiSettings.defaults().withPort(0));
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(server.baseUrl()).apiKey("unused").maxRetries(0).timeout(Duration.ofSeconds(30)).build();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            long[] heapAfterRound = new long[ROUNDS];
            assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
                for (int round = 0; round < ROUNDS; round++) {
                    long t0 = System.nanoTime();
                    runRound(client, clients, round);
                    System.out.printf("round %d: %.2f s%n", round, (System.nanoTime() - t0) / 1e9);
                    heapAfterRound[round] = heapUsedAfterGc();
                }
            });
            int total = ROUNDS * CLIENTS * REQUESTS_PER_CLIENT;
            assertEquals(total, engine.results.size());
            assertEquals(1, engine.maxConcurrent.get(), "the model ran two generations at once");
            long growth = heapAfterRound[ROUNDS - 1] - heapAfterRound[0];
            System.out.printf("load: %d streamed requests, heap after GC per round (MB): %s, growth %.1f MB%n",
                    total, java.util.Arrays.toString(java.util.Arrays.stream(heapAfterRound).map(b -> b >> 20).toArray()), growth / 1048576.0);
            assertTrue(growth < MAX_HEAP_GROWTH_BYTES, "heap after GC grew by " + (growth >> 20) + " MB across rounds");
        } finally {
            clients.shutdownNow();
            client.close();
            server.stop();
        }
    }

    private static void runRound(OpenAIClient client, ExecutorService clients, int round) throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int clientId = c;
            futures.add(clients.submit(() -> {
                for (int r = 0; r < REQUESTS_PER_CLIENT; r++) {
                    streamAndCheck(client, "round " + round + " client " + clientId + " request " + r);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
    }

    private static void streamAndCheck(OpenAIClient client, String prompt) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("m").addUserMessage(prompt)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                if (!chunk.choices().isEmpty()) {
                    chunk.choices().getFirst().delta().content().ifPresent(text::append);
                }
            });
        }
        assertEquals(FakeChatEngine.reply(prompt), text.toString(), "reply to '" + prompt + "'");
        int tokens = FakeChatEngine.tokens(prompt).size();
        assertEquals(tokens + 3, chunks.size(), "role, " + tokens + " tokens, finish and usage chunks for '" + prompt + "'");
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP,
                chunks.get(chunks.size() - 2).choices().getFirst().finishReason().orElseThrow());
        assertEquals(tokens, chunks.getLast().usage().orElseThrow().completionTokens());
    }

    private static long heapUsedAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
