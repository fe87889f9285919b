package io.jtune.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import io.jtune.data.template.ToolStyles;
import io.jtune.infer.ChatEngine;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.FinishReason;
import io.jtune.infer.ReplyText;
import io.jtune.infer.TokenListener;
import io.jtune.infer.ToolsUnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tool calls through the OpenAI-compatible API with the official OpenAI Java client, on loopback:
 * the tools reach the engine, a reply in the template's tool format (Hermes / Qwen
 * &lt;tool_call&gt; tags here) comes back as message.tool_calls or as streamed tool-call deltas with
 * finish_reason tool_calls, and the calls and tool results go back into the conversation.
 *
 * <p>The engine is scripted at the {@link ChatEngine} seam: it writes a fixed reply piece by piece
 * through {@link ReplyText}, the same text path {@code LocalChatEngine} uses after decoding.
 */
class ApiToolCallsTest {
    static final String CALL_REPLY = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
    static ScriptedEngine engine;
    static ApiServer server;
    static OpenAIClient client;

    /** Calls get_weather when tools are offered and the user asked; answers from a tool result otherwise. */
    static final class ScriptedEngine implements ChatEngine {
        final List<ChatRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public String modelName() {
            return "scripted";
        }

        @Override
        public ChatResult generate(ChatRequest request, TokenListener listener) {
            requests.add(request);
            ChatMessage last = request.messages().getLast();
            if (request.hasTools() && request.tools().contains("\"no_tools_here\"")) {
                throw new ToolsUnavailableException("the model's chat template does not render tools");
            }
            String reply = last.role() == ChatMessage.Role.TOOL ? "It is " + last.content() + " in Paris."
                    : request.hasTools() ? CALL_REPLY : "No tools, so I just talk.";
            ReplyText text = new ReplyText(List.of(), request.hasTools() ? ToolStyles.QWEN : null, listener);
            int pieces = 0;
            for (int i = 0; i < reply.length(); i += 3) {
                pieces++;
                if (text.accept(reply.substring(i, Math.min(reply.length(), i + 3)))) break;
            }
            return text.finish("", FinishReason.STOP, 7, pieces);
        }
    }

    @BeforeAll
    static void start() {
        engine = new ScriptedEngine();
        server = ApiServer.start(engine, ApiSettings.defaults().withPort(0));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.stop();
    }

    static FunctionDefinition weatherTool() {
        return FunctionDefinition.builder().name("get_weather").description("Current weather in a city")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .build())
                .build();
    }

    static ChatCompletionCreateParams.Builder askWithTools() {
        return ChatCompletionCreateParams.builder().model("m").addUserMessage("What's the weather in Paris?").addFunctionTool(weatherTool());
    }

    @Test
    void aReplyWithAToolCallBecomesMessageToolCalls() throws Exception {
        ChatCompletion completion = client.chat().completions().create(askWithTools().build());
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        assertEquals("Let me check.\n", choice.message().content().orElseThrow());
        List<com.openai.models.chat.completions.ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
        assertEquals(1, calls.size());
        ChatCompletionMessageFunctionToolCall call = calls.getFirst().asFunction();
        assertTrue(call.id().startsWith("call_"), call.id());
        assertEquals("get_weather", call.function().name());
        assertEquals(Map.of("city", "Paris"), new ObjectMapper().readValue(call.function().arguments(), Map.class));

        JsonNode tools = new ObjectMapper().readTree(engine.requests.getLast().tools());
        assertEquals("get_weather", tools.at("/0/function/name").asText(), "the engine is offered the request's tools");
        assertEquals("object", tools.at("/0/function/parameters/type").asText());
    }

    @Test
    void callsAndToolResultsGoBackIntoTheConversation() {
        ChatCompletionMessage assistant = client.chat().completions().create(askWithTools().build()).choices().getFirst().message();
        String callId = assistant.toolCalls().orElseThrow().getFirst().asFunction().id();
        ChatCompletion answer = client.chat().completions().create(askWithTools()
                .addMessage(assistant)
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(callId).content("18 degrees and sunny").build())
                .build());
        assertEquals("It is 18 degrees and sunny in Paris.", answer.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, answer.choices().getFirst().finishReason());
        assertTrue(answer.choices().getFirst().message().toolCalls().map(List::isEmpty).orElse(true));

        List<ChatMessage> seen = engine.requests.getLast().messages();
        assertEquals(3, seen.size());
        ChatMessage calling = seen.get(1);
        assertEquals(ChatMessage.Role.ASSISTANT, calling.role());
        assertEquals(callId, calling.toolCalls().getFirst().id());
        assertEquals("get_weather", calling.toolCalls().getFirst().name());
        assertEquals(ChatMessage.Role.TOOL, seen.get(2).role());
        assertEquals(callId, seen.get(2).toolCallId());
        assertEquals("18 degrees and sunny", seen.get(2).content());
    }

    @Test
    void streamsTheTextBeforeTheCallThenTheCallAsADelta() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        StringBuilder content = new StringBuilder();
        int toolDeltas = 0;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(askWithTools().build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                accumulator.accumulate(chunk);
                for (ChatCompletionChunk.Choice c : chunk.choices()) {
                    c.delta().content().ifPresent(content::append);
                    if (c.delta().toolCalls().isPresent()) toolDeltas++;
                }
            }
        }
        assertEquals("Let me check.\n", content.toString(), "no part of the call's text is streamed as content");
        assertEquals(1, toolDeltas);
        ChatCompletion whole = accumulator.chatCompletion();
        ChatCompletion.Choice choice = whole.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, choice.finishReason());
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertEquals("get_weather", call.function().name());
        assertEquals("{\"city\": \"Paris\"}", call.function().arguments());
    }

    @Test
    void toolChoiceNoneKeepsTheToolsOutAndForcingACallIsRefused() {
        ChatCompletion plain = client.chat().completions().create(askWithTools()
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).build());
        assertFalse(engine.requests.getLast().hasTools());
        assertEquals("No tools, so I just talk.", plain.choices().getFirst().message().content().orElseThrow());

        int before = engine.requests.size();
        BadRequestException forced = assertThrows(BadRequestException.class, () -> client.chat().completions().create(askWithTools()
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build()));
        assertTrue(forced.getMessage().contains("cannot force a tool call"), forced.getMessage());
        assertEquals(before, engine.requests.size());
    }

    @Test
    void aModelThatCannotTakeToolsAnswers400NamingTools() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("m").addUserMessage("hi")
                        .addFunctionTool(FunctionDefinition.builder().name("no_tools_here").build()).build()));
        assertTrue(e.getMessage().contains("does not render tools"), e.getMessage());
        assertEquals("tools", e.param().orElse(null));
    }

    @Test
    void malformedToolsAndToolMessagesAre400s() {
        BadRequestException missingName = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("m").addUserMessage("hi")
                        .addMessage(com.openai.models.chat.completions.ChatCompletionAssistantMessageParam.builder().content("x").build())
                        .addUserMessage("again")
                        .putAdditionalBodyProperty("tools", JsonValue.from(List.of(Map.of("type", "function", "function", Map.of("description", "no name")))))
                        .build()));
        assertEquals("tools[0].function.name", missingName.param().orElse(null));
        BadRequestException orphan = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("m").addUserMessage("hi")
                        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("call_x").content("42").build()).build()));
        assertEquals("messages[1].role", orphan.param().orElse(null));
    }
}
