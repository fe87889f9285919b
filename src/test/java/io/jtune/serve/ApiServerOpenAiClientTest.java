package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java client against `jtune api` with a fake engine, on loopback. */
class ApiServerOpenAiClientTest {
    static final String KEY = "sk-test-key";
    static FakeChatEngine engine;
    static ApiServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        engine = new FakeChatEngine(200);
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0).withApiKey(KEY));
        client = clientWithKey(KEY);
    }

    @AfterAll
    static void stop() {
        client.close();
        server.stop();
    }

    static OpenAIClient clientWithKey(String key) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(server.baseUrl())
                .apiKey(key)
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    static ChatCompletionCreateParams.Builder ask(String userMessage) {
        return ChatCompletionCreateParams.builder().model("my-model").addUserMessage(userMessage);
    }

    @Test
    void listsTheConfiguredModelName() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals("gpt-3.5-turbo", models.getFirst().id());
        assertEquals("owner", models.getFirst().ownedBy());
        assertTrue(models.getFirst().created() > 1_700_000_000L);
    }

    @Test
    void answersWithAChatCompletion() {
        ChatCompletion completion = client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("my-model").addSystemMessage("Be brief.").addUserMessage("What is LoRA?").build());
        assertTrue(completion.id().startsWith("chatcmpl-"), completion.id());
        assertEquals(32 + 9, completion.id().length());
        assertEquals("my-model", completion.model()); // echoed from the request, as LLaMA-Factory does
        assertEquals(1, completion.choices().size());
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertEquals(0, choice.index());
        assertEquals(FakeChatEngine.reply("What is LoRA?"), choice.message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, choice.finishReason());
        int completionTokens = FakeChatEngine.tokens("What is LoRA?").size();
        assertEquals(completionTokens, completion.usage().orElseThrow().completionTokens());
        assertEquals(3 + 2, completion.usage().orElseThrow().promptTokens()); // "What is LoRA?" + "Be brief."
        assertEquals(5 + completionTokens, completion.usage().orElseThrow().totalTokens());
        ChatRequest seen = engine.requests.getLast();
        assertEquals("Be brief.", seen.system());
        assertEquals(SamplingParams.DEFAULTS, seen.sampling());
    }

    @Test
    void passesSamplingParametersToTheEngine() {
        ChatCompletion completion = client.chat().completions().create(ask("sampling please")
                .temperature(0.7).topP(0.9).maxCompletionTokens(4).stop(ChatCompletionCreateParams.Stop.ofStrings(List.of("END", "###"))).seed(42)
                .presencePenalty(0.5).frequencyPenalty(-0.25)
                .putAdditionalBodyProperty("top_k", JsonValue.from(20))
                .putAdditionalBodyProperty("repetition_penalty", JsonValue.from(1.1))
                .build());
        SamplingParams s = engine.requests.getLast().sampling();
        assertEquals(new SamplingParams(null, 0.7, 0.9, 20, 4, List.of("END", "###"), 42L, 0.5, -0.25, 1.1), s);
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, choice.finishReason());
        assertEquals("You said: sampling please ", choice.message().content().orElseThrow());
        assertEquals(4, completion.usage().orElseThrow().completionTokens());
    }

    @Test
    void keepsAMultiTurnConversation() {
        client.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("first").addAssistantMessage("answer").addUserMessage("second").build());
        ChatRequest seen = engine.requests.getLast();
        assertEquals(3, seen.messages().size());
        assertEquals("answer", seen.messages().get(1).content());
        assertNull(seen.system());
    }

    @Test
    void streamsChunksThatAddUpToTheReply() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ask("stream me 你好").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        List<String> expected = FakeChatEngine.tokens("stream me 你好");
        // role chunk, one chunk per token, finish chunk, usage chunk
        assertEquals(expected.size() + 3, chunks.size());
        String id = chunks.getFirst().id();
        assertTrue(chunks.stream().allMatch(c -> c.id().equals(id)), "one id for the whole stream");
        ChatCompletionChunk.Choice.Delta first = chunks.getFirst().choices().getFirst().delta();
        assertEquals("assistant", first.role().orElseThrow().asString());
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= expected.size(); i++) {
            ChatCompletionChunk.Choice choice = chunks.get(i).choices().getFirst();
            assertEquals(expected.get(i - 1), choice.delta().content().orElseThrow());
            assertFalse(choice.finishReason().isPresent());
            text.append(choice.delta().content().orElseThrow());
        }
        assertEquals(FakeChatEngine.reply("stream me 你好"), text.toString());
        ChatCompletionChunk finish = chunks.get(expected.size() + 1);
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP, finish.choices().getFirst().finishReason().orElseThrow());
        ChatCompletionChunk usage = chunks.getLast();
        assertTrue(usage.choices().isEmpty());
        assertEquals(expected.size(), usage.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamReportsLengthWhenMaxTokensCutsTheReply() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ask("cut").maxCompletionTokens(2).build())) {
            stream.stream().forEach(chunks::add);
        }
        assertEquals(1 + 2 + 1, chunks.size());
        assertEquals(ChatCompletionChunk.Choice.FinishReason.LENGTH, chunks.getLast().choices().getFirst().finishReason().orElseThrow());
    }

    @Test
    void refusesAWrongKey() {
        OpenAIClient wrong = clientWithKey("sk-wrong");
        try {
            UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> wrong.models().list());
            assertEquals(401, e.statusCode());
            assertTrue(e.getMessage().contains("Invalid API key"), e.getMessage());
        } finally {
            wrong.close();
        }
    }

    @Test
    void reportsUnsupportedParametersAsBadRequest() {
        BadRequestException e = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(ask("two please").n(2).build()));
        assertEquals(400, e.statusCode());
        assertTrue(e.getMessage().contains("n=2 is not supported"), e.getMessage());
    }
}
