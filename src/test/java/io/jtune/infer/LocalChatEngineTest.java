package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.io.peft.AdapterWeights;
import io.jtune.io.peft.LoraAdapterConfig;
import io.jtune.model.Batch;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceSession;
import io.jtune.model.TrainableParameter;
import io.jtune.train.checkpoint.FlatWeightsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalChatEngineTest {
    @TempDir static Path tmp;
    static Path modelDir;
    static LocalChatEngine engine;

    @BeforeAll
    static void load() throws Exception {
        modelDir = TinyChatModels.write(tmp);
        engine = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir)));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static ChatRequest request(SamplingParams sampling, String... turns) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < turns.length; i++) messages.add(i % 2 == 0 ? ChatMessage.user(turns[i]) : ChatMessage.assistant(turns[i]));
        return new ChatRequest(messages, null, sampling, new Cancellation());
    }

    private static SamplingParams maxTokens(int n) {
        return new SamplingParams(null, null, null, null, n, List.of(), null, null, null, null);
    }

    @Test
    void promptIsTheQwenTemplateOverTheHistory() {
        int[] ids = engine.promptIds(List.of(ChatMessage.user("hi"), ChatMessage.assistant("hello"), ChatMessage.user("你好")), "Be brief.");
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n"
                + "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n", engine.model().tokenizer().decode(ids, false));
        String defaultSystem = engine.model().tokenizer().decode(engine.promptIds(List.of(ChatMessage.user("hi")), null), false);
        assertTrue(defaultSystem.startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud."), defaultSystem);
    }

    /** A named template renders tools, calls and results as LLaMA-Factory's API maps them (function and observation turns). */
    @Test
    void theQwenTemplateRendersToolsCallsAndResults() {
        String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": {\"type\": \"object\", \"properties\": {}}}}]";
        ChatRequest r = new ChatRequest(List.of(ChatMessage.user("2+3?"),
                ChatMessage.toolCalls(null, List.of(new ToolCall("call_1", "add", "{\"a\": 2}"))), ChatMessage.toolResult("call_1", "5")),
                "Be brief.", tools, SamplingParams.DEFAULTS, new Cancellation());
        String text = engine.model().tokenizer().decode(engine.model().format().prompt(r), false);
        assertTrue(text.startsWith("<|im_start|>system\nBe brief.\n\n# Tools\n"), text);
        assertTrue(text.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\""), text);
        assertTrue(text.contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2}}\n</tool_call><|im_end|>\n"), text);
        assertTrue(text.endsWith("<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n<|im_start|>assistant\n"), text);
        // LLaMA-Factory's alternation: two results after one calling turn cannot be expressed.
        ChatRequest two = new ChatRequest(List.of(ChatMessage.user("q"),
                ChatMessage.toolCalls(null, List.of(new ToolCall("a", "add", "{}"), new ToolCall("b", "add", "{}"))),
                ChatMessage.toolResult("a", "1"), ChatMessage.toolResult("b", "2")), null, tools, SamplingParams.DEFAULTS, new Cancellation());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> engine.model().format().prompt(two));
        assertTrue(e.getMessage().contains("takes one tool result after each tool-calling turn"), e.getMessage());
    }

    @Test
    void greedyReplyIsTheArgmaxOfTheFullForwardAndStreamsWholeCharacters() {
        List<String> pieces = new ArrayList<>();
        ChatResult r = engine.generate(request(SamplingParams.DEFAULTS, "hello 你好"), pieces::add);
        assertEquals(String.join("", pieces), r.text());
        // Random weights also emit stray continuation bytes, which decode to U+FFFD as in HF; what matters
        // is that pieces never split a character and add up to the decode of all ids (checked below).
        for (String p : pieces) assertTrue(!p.isEmpty() && !Character.isHighSurrogate(p.charAt(p.length() - 1)), p);
        int[] prompt = engine.promptIds(List.of(ChatMessage.user("hello 你好")), null);
        assertEquals(prompt.length, r.promptTokens());

        // Reference: argmax of CausalLM.forwardLogits over the whole sequence, token after token.
        CausalLM model = engine.model().model();
        int vocab = model.config().vocabSize();
        List<Integer> seq = new ArrayList<>();
        for (int id : prompt) seq.add(id);
        List<Integer> reply = new ArrayList<>();
        FinishReason reason = FinishReason.LENGTH;
        while (reply.size() < 12) {
            int[] ids = seq.stream().mapToInt(Integer::intValue).toArray();
            float[] logits = model.forwardLogits(Batch.of(new int[][] {ids}, null));
            int next = Sampler.argmax(Arrays.copyOfRange(logits, (ids.length - 1) * vocab, ids.length * vocab));
            reply.add(next);
            seq.add(next);
            if (engine.model().stopIds().contains(next)) {
                reason = FinishReason.STOP;
                break;
            }
        }
        assertEquals(reason, r.finishReason());
        assertEquals(reply.size(), r.completionTokens());
        int[] replyIds = reply.stream().mapToInt(Integer::intValue).filter(id -> !engine.model().stopIds().contains(id)).toArray();
        assertEquals(engine.model().tokenizer().decode(replyIds, true).replaceAll("\uFFFD+$", ""), r.text());
    }

    @Test
    void lengthStopStringsAndCancellation() {
        ChatResult two = engine.generate(request(maxTokens(2), "the world"), TokenListener.IGNORE);
        assertEquals(FinishReason.LENGTH, two.finishReason());
        assertEquals(2, two.completionTokens());

        ChatResult full = engine.generate(request(maxTokens(30), "the world"), TokenListener.IGNORE);
        String text = full.text();
        assertTrue(text.length() >= 4, "the random model says something: '" + text + "'");
        String stop = text.substring(2, 4);
        SamplingParams withStop = new SamplingParams(null, null, null, null, 30, List.of(stop), null, null, null, null);
        StringBuilder streamed = new StringBuilder();
        ChatResult cut = engine.generate(request(withStop, "the world"), streamed::append);
        assertEquals(FinishReason.STOP, cut.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.text());
        assertEquals(cut.text(), streamed.toString());

        ChatRequest cancelled = request(maxTokens(30), "the world");
        List<String> seen = new ArrayList<>();
        ChatResult c = engine.generate(cancelled, piece -> {
            seen.add(piece);
            cancelled.cancellation().cancel();
        });
        assertEquals(FinishReason.CANCELLED, c.finishReason());
        assertEquals(1, seen.size());
    }

    @Test
    void seededSamplingIsReproducibleAndTheNextTurnReusesTheCache() {
        SamplingParams seeded = new SamplingParams(true, 1.0, 1.0, 0, 10, List.of(), 1234L, null, null, null);
        String a = engine.generate(request(seeded, "hello"), TokenListener.IGNORE).text();
        String b = engine.generate(request(seeded, "hello"), TokenListener.IGNORE).text();
        assertEquals(a, b);

        // Turn 2 on a warm cache gives what a fresh engine gives.
        ChatResult first = engine.generate(request(maxTokens(6), "hello"), TokenListener.IGNORE);
        ChatResult warm = engine.generate(request(maxTokens(6), "hello", first.text(), "world"), TokenListener.IGNORE);
        try (LocalChatEngine fresh = new LocalChatEngine(ChatModel.load(TinyChatModels.config(modelDir)))) {
            assertEquals(fresh.generate(request(maxTokens(6), "hello", first.text(), "world"), TokenListener.IGNORE), warm);
        }
    }

    @Test
    void loadsAPeftAdapterAndCanSwitchItOff() throws Exception {
        Path adapterDir = tmp.resolve("adapter");
        try (ChatModel base = ChatModel.load(TinyChatModels.config(modelDir))) {
            // Write an adapter with random values, as training would have saved it.
            CausalLM lora = io.jtune.model.InferenceModels.withLora(base.model().config(),
                    new io.jtune.io.hf.HfWeightSource(io.jtune.io.hf.HfModelDirectory.open(modelDir)),
                    new io.jtune.model.FinetuneSpec.Lora(4, 8.0, 0.0, List.of("q_proj", "v_proj"), false, List.of()));
            Random rnd = new Random(3);
            float[] v = lora.parameterValues();
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * 0.5f;
            java.nio.file.Files.createDirectories(adapterDir);
            new FlatWeightsCheckpoint(lora, AdapterWeights.ADAPTER_FILE).save(adapterDir);
            new LoraAdapterConfig(4, 8.0, 0.0, List.of("q_proj", "v_proj"), false, List.of(), modelDir.toString()).write(adapterDir);

            try (ChatModel withAdapter = ChatModel.load(TinyChatModels.config(modelDir, "adapter_name_or_path=" + adapterDir))) {
                assertArrayEquals(v, withAdapter.adapter().parameters().values());
                assertTrue(withAdapter.name().endsWith("+adapter"), withAdapter.name());
                int[] prompt = engine.promptIds(List.of(ChatMessage.user("hello")), null);
                InferenceSession on = new InferenceSession(withAdapter.model(), withAdapter.adapter());
                InferenceSession off = new InferenceSession(withAdapter.model(), withAdapter.adapter());
                off.setAdapterEnabled(false);
                float[] onLogits = on.append(prompt), offLogits = off.append(prompt);
                assertArrayEquals(new InferenceSession(base.model()).append(prompt), offLogits, 1e-5f);
                assertNotEquals(Arrays.toString(onLogits), Arrays.toString(offLogits));
                for (TrainableParameter p : withAdapter.adapter().parameters().describe()) assertTrue(p.name().contains("lora_"), p.name());
            }
        }
    }
}
