package io.jtune.data.template;

import io.jtune.data.InvalidRecordException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import io.jtune.data.FakeTokenizer;
import io.jtune.data.Message;
import io.jtune.data.Role;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected renderings of every registered template, written out from LLaMA-Factory's
 * register_template definitions and its tests (tests/data/test_template.py, test_formatter.py).
 * The fake tokenizer has BOS "&lt;s&gt;" and EOS "&lt;/s&gt;" and decodes ids back to the exact text, so
 * each expectation checks the ids as well as the text.
 */
class TemplatesTest {
    static final List<Message> MESSAGES = List.of(
            Message.user("How are you"), Message.assistant("I am fine!"),
            Message.user("你好"), Message.assistant("很高兴认识你！"));

    static final String TOOLS = "[{\"name\": \"test_tool\", \"description\": \"tool_desc\", \"parameters\": "
            + "{\"type\": \"object\", \"properties\": {\"foo\": {\"type\": \"string\", \"description\": \"foo_desc\"}, "
            + "\"bar\": {\"type\": \"number\", \"description\": \"bar_desc\"}}, \"required\": [\"foo\"]}}]";

    static List<List<String>> encode(String template, List<Message> messages, String system, String tools) {
        Template t = Templates.get(template);
        ChatTokenizer tok = ChatTokenizer.of(FakeTokenizer.llamaLike(), t);
        List<List<String>> out = new ArrayList<>();
        for (Template.EncodedPair p : t.encodeMultiturn(tok, messages, system, tools, false)) {
            out.add(List.of(tok.decode(p.prompt()), tok.decode(p.response())));
        }
        return out;
    }

    static void check(String template, String p1, String r1, String p2, String r2) {
        assertEquals(List.of(List.of(p1, r1), List.of(p2, r2)), encode(template, MESSAGES, null, null), template);
    }

    @Test
    void empty() {
        check("empty", "How are you", "I am fine!", "你好", "很高兴认识你！");
    }

    @Test
    void defaultTemplate() {
        check("default", "Human: How are you</s>\nAssistant:", "I am fine!</s>\n",
                "Human: 你好</s>\nAssistant:", "很高兴认识你！</s>\n");
        assertEquals("System: Be brief.</s>\nHuman: How are you</s>\nAssistant:",
                encode("default", MESSAGES, "Be brief.", null).get(0).get(0));
    }

    @Test
    void alpacaHasItsDefaultSystem() {
        check("alpaca",
                "Below is an instruction that describes a task. Write a response that appropriately completes the "
                        + "request.\n\n### Instruction:\nHow are you\n\n### Response:\n",
                "I am fine!</s>\n\n",
                "### Instruction:\n你好\n\n### Response:\n", "很高兴认识你！</s>\n\n");
    }

    @Test
    void vicuna() {
        check("vicuna",
                "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
                        + "detailed, and polite answers to the user's questions.USER: How are you ASSISTANT:",
                "I am fine!</s>", "USER: 你好 ASSISTANT:", "很高兴认识你！</s>");
    }

    @Test
    void chatmlReplacesEos() {
        check("chatml", "<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n", "I am fine!<|im_end|>\n",
                "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n", "很高兴认识你！<|im_end|>\n");
        ChatTokenizer tok = ChatTokenizer.of(FakeTokenizer.llamaLike(), Templates.get("chatml"));
        assertEquals("<|im_end|>", tok.eosToken());
        assertEquals(List.of(4, 3), tok.stopIds()); // <|im_end|> then <|im_start|>
    }

    @Test
    void qwenWithDefaultSystemAndWithOwnSystem() {
        check("qwen",
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n",
                "I am fine!<|im_end|>\n",
                "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n", "很高兴认识你！<|im_end|>\n");
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHow are you<|im_end|>\n"
                + "<|im_start|>assistant\n", encode("qwen", MESSAGES, "Be brief.", null).get(0).get(0));
    }

    @Test
    void qwen3AddsAnEmptyThoughtToTheResponseWhenThinking() {
        check("qwen3", "<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n",
                "<think>\n\n</think>\n\nI am fine!<|im_end|>\n",
                "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
                "<think>\n\n</think>\n\n很高兴认识你！<|im_end|>\n");
    }

    @Test
    void qwen3WithoutThinkingPutsTheEmptyThoughtInThePromptAndDropsGivenThoughts() {
        Template t = Templates.get("qwen3").withThinking(false, false);
        ChatTokenizer tok = ChatTokenizer.of(FakeTokenizer.qwenLike(), t);
        List<Message> withThought = List.of(Message.user("How are you"),
                Message.assistant("<think>\nModel thought here\n</think>\n\nI am fine!"));
        Template.EncodedPair p = t.encodeMultiturn(tok, withThought, null, null, false).get(0);
        assertEquals("<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                tok.decode(p.prompt()));
        assertEquals("I am fine!<|im_end|>\n", tok.decode(p.response()));
    }

    @Test
    void qwen3KeepsAGivenThoughtWhenThinking() {
        List<Message> withThought = List.of(Message.user("How are you"),
                Message.assistant("<think>\nModel thought here\n</think>\n\nI am fine!"));
        assertEquals("<think>\nModel thought here\n</think>\n\nI am fine!<|im_end|>\n",
                encode("qwen3", withThought, null, null).get(0).get(1));
    }

    @Test
    void qwen3MaskHistoryDropsHistoricThoughtsAndAddsTheEmptyOneOnlyToTheLastTurn() {
        Template t = Templates.get("qwen3");
        ChatTokenizer tok = ChatTokenizer.of(FakeTokenizer.qwenLike(), t);
        List<Message> msgs = List.of(Message.user("a"), Message.assistant("<think>\nx\n</think>\n\nb"),
                Message.user("c"), Message.assistant("d"));
        List<Template.EncodedPair> pairs = t.encodeMultiturn(tok, msgs, null, null, true);
        assertEquals("b<|im_end|>\n", tok.decode(pairs.get(0).response()));
        assertEquals("<think>\n\n</think>\n\nd<|im_end|>\n", tok.decode(pairs.get(1).response()));
    }

    @Test
    void qwen3Nothink() {
        check("qwen3_nothink", "<|im_start|>user\nHow are you<|im_end|>\n<|im_start|>assistant\n",
                "I am fine!<|im_end|>\n", "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n",
                "很高兴认识你！<|im_end|>\n");
    }

    @Test
    void llama2FoldsTheSystemIntoTheFirstUserTurn() {
        check("llama2", "<s>[INST] How are you [/INST]", "I am fine!</s>", "<s>[INST] 你好 [/INST]", "很高兴认识你！</s>");
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHow are you [/INST]",
                encode("llama2", MESSAGES, "Be brief.", null).get(0).get(0));
    }

    @Test
    void llama3() {
        // LLaMA-Factory's test_encode_multiturn, with this fake tokenizer's BOS "<s>" for <|begin_of_text|>.
        check("llama3",
                "<s><|start_header_id|>user<|end_header_id|>\n\nHow are you<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                "I am fine!<|eot_id|>",
                "<|start_header_id|>user<|end_header_id|>\n\n你好<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                "很高兴认识你！<|eot_id|>");
    }

    @Test
    void mistral() {
        check("mistral", "<s>[INST] How are you[/INST]", " I am fine!</s>", "[INST] 你好[/INST]", " 很高兴认识你！</s>");
        assertEquals("<s>[INST] Be brief.\n\nHow are you[/INST]",
                encode("mistral", MESSAGES, "Be brief.", null).get(0).get(0));
    }

    @Test
    void gemmaGemma2AndGemma3() {
        for (String name : List.of("gemma", "gemma2", "gemma3")) {
            check(name, "<s><start_of_turn>user\nHow are you<end_of_turn>\n<start_of_turn>model\n",
                    "I am fine!<end_of_turn>\n", "<start_of_turn>user\n你好<end_of_turn>\n<start_of_turn>model\n",
                    "很高兴认识你！<end_of_turn>\n");
            assertEquals("<s><start_of_turn>user\nBe brief.\n\nHow are you<end_of_turn>\n<start_of_turn>model\n",
                    encode(name, MESSAGES, "Be brief.", null).get(0).get(0));
        }
    }

    @Test
    void gemma2StopsAtEosOrEndOfTurnWithEfficientEos() {
        // LLaMA-Factory: gemma and gemma3 replace the EOS with <end_of_turn>; gemma2 keeps <eos> and stops at both.
        assertEquals(List.of("<eos>", "<end_of_turn>"), Templates.get("gemma2").stopWords());
        assertTrue(Templates.get("gemma2").efficientEos());
        for (String name : List.of("gemma", "gemma3")) {
            assertEquals(List.of("<end_of_turn>"), Templates.get(name).stopWords());
            assertTrue(Templates.get(name).replaceEos());
        }
    }

    @Test
    void phi4() {
        check("phi4", "<|im_start|>user<|im_sep|>How are you<|im_end|><|im_start|>assistant<|im_sep|>",
                "I am fine!<|im_end|>", "<|im_start|>user<|im_sep|>你好<|im_end|><|im_start|>assistant<|im_sep|>",
                "很高兴认识你！<|im_end|>");
        assertEquals("<|im_start|>system<|im_sep|>S<|im_end|><|im_start|>user<|im_sep|>How are you<|im_end|>"
                + "<|im_start|>assistant<|im_sep|>", encode("phi4", MESSAGES, "S", null).get(0).get(0));
    }

    @Test
    void deepseek3() {
        check("deepseek3", "<s><｜User｜>How are you<｜Assistant｜>", "I am fine!</s>",
                "<｜User｜>你好<｜Assistant｜>", "很高兴认识你！</s>");
    }

    @Test
    void glm4HasEfficientEos() {
        check("glm4", "[gMASK]<sop><|user|>\nHow are you<|assistant|>", "\nI am fine!",
                "<|user|>\n你好<|assistant|>", "\n很高兴认识你！");
        assertTrue(Templates.get("glm4").efficientEos());
        assertEquals("[gMASK]<sop><|system|>\nS<|user|>\nHow are you<|assistant|>",
                encode("glm4", MESSAGES, "S", null).get(0).get(0));
    }

    @Test
    void defaultToolStyleDescribesTheToolsInTheSystemMessage() {
        String expected = "System: You have access to the following tools:\n"
                + "> Tool Name: test_tool\nTool Description: tool_desc\nTool Args:\n"
                + "  - foo (string, required): foo_desc\n  - bar (number): bar_desc\n\n"
                + "Use the following format if using a tool:\n```\nAction: tool name (one of [test_tool])\n"
                + "Action Input: the input to the tool, in a JSON format representing the kwargs "
                + "(e.g. ```{\"input\": \"hello world\", \"num_beams\": 5}```)\n```\n</s>\nHuman: How are you</s>\nAssistant:";
        assertEquals(expected, encode("default", MESSAGES, null, TOOLS).get(0).get(0));
    }

    @Test
    void defaultToolStyleRendersFunctionCallsAndObservations() {
        List<Message> msgs = List.of(Message.user("Call it"),
                new Message(Role.FUNCTION, "{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}"),
                new Message(Role.OBSERVATION, "42"), Message.assistant("It is 42."));
        List<List<String>> pairs = encode("default", msgs, null, null);
        assertEquals("Action: tool_name\nAction Input: {\"foo\": \"bar\", \"size\": 10}</s>\n", pairs.get(0).get(1));
        assertEquals("Human: 42</s>\nAssistant:", pairs.get(1).get(0));
    }

    @Test
    void qwenToolStyle() {
        String wrapped = "{\"type\": \"function\", \"function\": {\"name\": \"test_tool\", \"description\": \"tool_desc\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {\"foo\": {\"type\": \"string\", \"description\": "
                + "\"foo_desc\"}, \"bar\": {\"type\": \"number\", \"description\": \"bar_desc\"}}, \"required\": [\"foo\"]}}}";
        String system = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + wrapped
                + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
                + "\"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";
        List<Message> msgs = List.of(Message.user("Call it"),
                new Message(Role.FUNCTION, "[{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}, "
                        + "{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}]"),
                new Message(Role.OBSERVATION, "42"), Message.assistant("It is 42."));
        List<List<String>> pairs = encode("qwen", msgs, null, TOOLS);
        assertEquals(system + "<|im_start|>user\nCall it<|im_end|>\n<|im_start|>assistant\n", pairs.get(0).get(0));
        assertEquals("<tool_call>\n{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}\n</tool_call>"
                + "<|im_end|>\n", pairs.get(0).get(1));
        assertEquals("<|im_start|>user\n<tool_response>\n42\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
                pairs.get(1).get(0));
    }

    @Test
    void glm4AndMistralToolStyles() {
        String glm = ToolStyles.GLM4.functionText(List.of(new FunctionCall("tool_name", "{\"foo\": \"bar\", \"size\": 10}")));
        assertEquals("tool_name\n{\"foo\": \"bar\", \"size\": 10}", glm);
        String mistral = ToolStyles.MISTRAL.functionText(List.of(new FunctionCall("tool_name", "{\"foo\": \"bar\", \"size\": 10}")));
        assertEquals("[{\"name\": \"tool_name\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}]", mistral);
        String llama3 = ToolStyles.LLAMA3.functionText(List.of(new FunctionCall("tool_name", "{\"foo\": \"bar\", \"size\": 10}")));
        assertEquals("{\"name\": \"tool_name\", \"parameters\": {\"foo\": \"bar\", \"size\": 10}}", llama3);
    }

    @Test
    void toolCallsAreExtractedFromGeneratedAnswers() {
        FunctionCall call = new FunctionCall("test_tool", "{\"foo\": \"bar\", \"size\": 10}");
        FunctionCall other = new FunctionCall("another_tool", "{\"foo\": \"job\", \"size\": 2}");
        assertEquals(List.of(call), ToolStyles.DEFAULT.extract("Action: test_tool\nAction Input: {\"foo\": \"bar\", \"size\": 10}"));
        assertEquals(List.of(call, other), ToolStyles.DEFAULT.extract("Action: test_tool\nAction Input: {\"foo\": \"bar\", "
                + "\"size\": 10}\nAction: another_tool\nAction Input: {\"foo\": \"job\", \"size\": 2}"));
        assertEquals(List.of(call, other), Templates.get("qwen").extractTool("<tool_call>\n{\"name\": \"test_tool\", "
                + "\"arguments\": {\"foo\": \"bar\", \"size\": 10}}\n</tool_call>\n<tool_call>\n{\"name\": "
                + "\"another_tool\", \"arguments\": {\"foo\": \"job\", \"size\": 2}}\n</tool_call>"));
        assertEquals(List.of(call), ToolStyles.GLM4.extract("test_tool\n{\"foo\": \"bar\", \"size\": 10}\n"));
        assertEquals(List.of(call), ToolStyles.LLAMA3.extract("{\"name\": \"test_tool\", \"parameters\": {\"foo\": \"bar\", \"size\": 10}}"));
        assertEquals(List.of(call), ToolStyles.MISTRAL.extract("[{\"name\": \"test_tool\", \"arguments\": {\"foo\": \"bar\", \"size\": 10}}]"));
        assertTrue(Templates.get("qwen").extractTool("Just an answer.").isEmpty());
        assertTrue(ToolStyles.DEFAULT.extract("Action: t\nAction Input: {broken").isEmpty());
    }

    @Test
    void generationPromptEndsWhereTheAnswerStarts() {
        Template qwen3 = Templates.get("qwen3");
        ChatTokenizer tok = ChatTokenizer.of(FakeTokenizer.qwenLike(), qwen3);
        List<Message> ask = List.of(Message.user("Hi"));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                tok.decode(qwen3.encodeGenerationPrompt(tok, ask, null, null)));
        Template noThinking = qwen3.withThinking(false, false);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                tok.decode(noThinking.encodeGenerationPrompt(tok, ask, null, null)));
    }

    @Test
    void invalidToolsJsonIsARecordProblemNotACrash() {
        InvalidRecordException e = assertThrows(InvalidRecordException.class,
                () -> encode("qwen", MESSAGES, null, "[{not json"));
        assertEquals("tools is not valid JSON", e.reason());
    }

    @Test
    void unknownTemplateListsTheKnownOnes() {
        JtuneException e = assertThrows(JtuneException.class, () -> Templates.get("qwen9"));
        assertTrue(e.getMessage().contains("qwen3_nothink") && e.getMessage().contains("docs/templates.md"), e.getMessage());
    }

    @Test
    void replaceEosNeedsTheStopWordInTheVocabulary() {
        FakeTokenizer fake = FakeTokenizer.llamaLike();
        io.jtune.tokenizer.Tokenizer withoutImEnd = new io.jtune.tokenizer.Tokenizer() {
            public int[] encode(String text, boolean special) { return fake.encode(text, special); }
            public String decode(int[] ids, boolean skip) { return fake.decode(ids, skip); }
            public java.util.OptionalInt tokenToId(String token) {
                return token.equals("<|im_end|>") ? java.util.OptionalInt.empty() : fake.tokenToId(token);
            }
            public String idToToken(int id) { return fake.idToToken(id); }
            public int vocabSize() { return fake.vocabSize(); }
            public java.util.OptionalInt bosTokenId() { return fake.bosTokenId(); }
            public java.util.OptionalInt eosTokenId() { return fake.eosTokenId(); }
            public java.util.OptionalInt padTokenId() { return fake.padTokenId(); }
            public String chatTemplate() { return null; }
        };
        JtuneException e = assertThrows(JtuneException.class,
                () -> ChatTokenizer.of(withoutImEnd, Templates.get("phi4")));
        assertTrue(e.getMessage().contains("'<|im_end|>'") && e.getMessage().contains("resize_vocab"), e.getMessage());
    }
}
