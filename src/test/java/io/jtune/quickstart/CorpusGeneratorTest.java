package io.jtune.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CorpusGeneratorTest {
    @Test
    void sameSeedSameText() {
        assertEquals(new CorpusGenerator(7).documents(20), new CorpusGenerator(7).documents(20));
        assertNotEquals(new CorpusGenerator(7).documents(20), new CorpusGenerator(8).documents(20));
    }

    @Test
    void documentsAlternateLanguagesAndHaveNoUnfilledSlots() {
        List<String> docs = new CorpusGenerator(1).documents(10);
        assertTrue(docs.get(0).chars().allMatch(c -> c < 0x3000), docs.get(0));
        assertTrue(docs.get(1).chars().anyMatch(c -> c >= 0x4e00 && c <= 0x9fff), docs.get(1));
        for (String d : docs) assertFalse(d.contains("$"), d);
    }

    @Test
    void dialoguesUseTheChatmlFormatWithoutUnfilledSlots() {
        List<String> chats = new CorpusGenerator(2).dialogues(6);
        for (String c : chats) {
            assertTrue((c.startsWith("<|im_start|>user\n") || c.startsWith("<|im_start|>system\n")) && c.contains("<|im_end|>\n<|im_start|>assistant\n") && c.endsWith("<|im_end|>\n"), c);
            assertFalse(c.contains("$"), c);
        }
        assertTrue(chats.get(1).chars().anyMatch(ch -> ch >= 0x4e00 && ch <= 0x9fff), chats.get(1));
        assertTrue(chats.get(0).startsWith("<|im_start|>system\n") && chats.get(2).startsWith("<|im_start|>user\n"), chats.toString());
    }

    /** The base model must not learn the shop's policies in pretraining: the fine-tuning teaches them, the fact score shows it. */
    @Test
    void thePretrainingTextStatesNoneOfTheFactsTheQuickstartChecks() throws Exception {
        List<HeldOutQuestion> questions = HeldOutQuestion.load(Path.of(Quickstart.HELD_OUT));
        for (String text : Quickstart.corpus(2000, Files.readString(Path.of("data/support_shop.json")))) {
            for (HeldOutQuestion q : questions) {
                for (String keyword : q.keywords()) assertFalse(text.contains(keyword), keyword + " in: " + text);
            }
        }
    }

    @Test
    void otherShopsPoliciesKeepTheWordingButChangeEveryNumber() throws Exception {
        String support = Files.readString(Path.of("data/support_shop.json"));
        List<String> paragraphs = new CorpusGenerator(3).policiesOfOtherShops(support, 2);
        assertEquals(paragraphs, new CorpusGenerator(3).policiesOfOtherShops(support, 2));
        String all = String.join("\n", paragraphs);
        assertTrue(all.contains("Standard delivery takes ") && all.contains("标准配送需要"), all);
        assertFalse(all.contains("3 to 5") || all.contains("3到5") || all.contains("within 30 days"), all);
        assertFalse(all.contains("I'm sorry") || all.contains("很抱歉") || all.contains("Is there anything else"), "the house style is left out");
        assertFalse(all.matches("(?s).*\\b(6|7|8|9|10|16|18|20|36|40|48|60|90) (hour|minute|day|business day)\\b(?!s).*"), "plural after a changed 1");
    }
}
