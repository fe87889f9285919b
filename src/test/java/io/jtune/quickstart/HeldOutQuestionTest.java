package io.jtune.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart's fact score, and that its held-out questions are really held out. */
class HeldOutQuestionTest {
    private static final Path HELD_OUT = Path.of(Quickstart.HELD_OUT);
    private static final Path TRAINING = Path.of("data/support_shop.json");
    private static final Pattern ORDER = Pattern.compile("LP\\d{6}");

    private static HeldOutQuestion english(String... keywords) {
        return new HeldOutQuestion("en", "return window", "Can I return the kettle?", "kettle", List.of(keywords));
    }

    private static HeldOutQuestion chinese(String... keywords) {
        return new HeldOutQuestion("zh", "refund timing", "钱什么时候退？", null, List.of(keywords));
    }

    @Test
    void englishKeywordsMatchIgnoringCaseAndSpaceRuns() {
        HeldOutQuestion q = english("30 days");
        assertTrue(q.isStatedIn("You can return any item within 30 days of delivery."));
        assertTrue(q.isStatedIn("Our return window is 30  Days."));
        assertFalse(q.isStatedIn("You can return any item within 14 days."));
        assertFalse(q.isStatedIn("within 30days"), "the space is part of the keyword");
        assertFalse(q.isStatedIn(""));
    }

    @Test
    void chineseKeywordsMatchIgnoringSpaces() {
        HeldOutQuestion q = chinese("5个工作日");
        assertTrue(q.isStatedIn("仓库收到退货后5个工作日内会发起退款。"));
        assertTrue(q.isStatedIn("退款会在 5 个工作日内到账。"));
        assertFalse(q.isStatedIn("退款会在五个工作日内到账。"), "the digit is the fact");
        assertFalse(q.isStatedIn("5 business days"), "an English answer to a Chinese question is not the fact in Chinese");
    }

    @Test
    void everyKeywordIsNeededAndBrokenCharactersFail() {
        HeldOutQuestion q = english("30 minutes", "1 hour");
        assertTrue(q.isStatedIn("Locked for 30 minutes; the link is valid for 1 hour."));
        assertFalse(q.isStatedIn("Locked for 30 minutes."));
        assertFalse(q.isStatedIn("Locked for 30 minutes; the link is valid for 1 hour. \uFFFD"), "U+FFFD is a broken answer");
        assertFalse(chinese("1小时").isStatedIn("链接1小时内有效\uFFFD"));
    }

    @Test
    void scoreCountsPerLanguage() {
        List<HeldOutQuestion> qs = List.of(english("30 days"), chinese("5个工作日"), english("30 days"));
        FactScore score = FactScore.of(qs, List.of("within 30 days", "5个工作日内", "\uFFFD within 30 days"));
        assertEquals(new FactScore.Tally(1, 2), score.english());
        assertEquals(new FactScore.Tally(1, 1), score.chinese());
        assertEquals(new FactScore.Tally(2, 3), score.total());
        assertEquals("2/3 (67%)", score.total().toString());
        assertThrows(IllegalArgumentException.class, () -> FactScore.of(qs, List.of("a")));
    }

    @Test
    void badFilesAreNamedWithTheEntry(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("q.json");
        Files.writeString(file, "[{\"lang\": \"en\", \"fact\": \"f\", \"question\": \"q\", \"keywords\": []}]");
        JtuneException e = assertThrows(JtuneException.class, () -> HeldOutQuestion.load(file));
        assertTrue(e.getMessage().contains("q.json") && e.getMessage().contains("entry 1"), e.getMessage());
        Files.writeString(file, "[{\"lang\": \"fr\", \"fact\": \"f\", \"question\": \"q\", \"keywords\": [\"k\"]}]");
        e = assertThrows(JtuneException.class, () -> HeldOutQuestion.load(file));
        assertTrue(e.getMessage().contains("lang"), e.getMessage());
    }

    @Test
    void theHeldOutSetCoversBothLanguagesAndItsFactsAreTaught() throws Exception {
        List<HeldOutQuestion> questions = HeldOutQuestion.load(HELD_OUT);
        assertTrue(questions.stream().filter(q -> q.lang().equals("en")).count() >= 10);
        assertTrue(questions.stream().filter(q -> q.lang().equals("zh")).count() >= 10);
        List<JsonNode> rows = rows();
        for (HeldOutQuestion q : questions) {
            // the fact is learnable: some training answer in the question's language states it
            assertTrue(rows.stream().anyMatch(r -> q.isStatedIn(r.get("output").asText())
                            && r.get("output").asText().chars().anyMatch(c -> c >= 0x4e00 && c <= 0x9fff) == q.lang().equals("zh")),
                    "no training answer states " + q.keywords() + " for: " + q.question());
        }
    }

    @Test
    void heldOutQuestionsAreNotInTheTrainingData() throws Exception {
        List<HeldOutQuestion> questions = HeldOutQuestion.load(HELD_OUT);
        String training = Files.readString(TRAINING);
        List<String> asked = rows().stream().map(r -> r.get("instruction").asText()).toList();
        for (HeldOutQuestion q : questions) {
            assertFalse(asked.contains(q.question()), "asked in training: " + q.question());
            // new order numbers and products: none appears anywhere in the training data
            Matcher order = ORDER.matcher(q.question());
            while (order.find()) assertFalse(training.contains(order.group()), "order number in training: " + order.group());
            if (q.product() != null) assertFalse(training.contains(q.product()), "product in training: " + q.product());
            // a new phrasing: no training message is this question with other products, numbers or order numbers
            Pattern phrasing = phrasingOf(q);
            for (String a : asked) assertFalse(phrasing.matcher(a).matches(), "same phrasing in training: " + a + " / " + q.question());
        }
        // nor are they in the base model's pretraining text
        for (String doc : Quickstart.corpus(400, Files.readString(TRAINING))) {
            for (HeldOutQuestion q : questions) assertFalse(doc.contains(q.question()), "in the corpus: " + q.question());
        }
    }

    @Test
    void phrasingPatternMatchesTheSameSentenceWithOtherSlots() {
        HeldOutQuestion q = new HeldOutQuestion("en", "f", "Order LP306118 should have come 5 days ago. Where is the kettle?", "kettle", List.of("k"));
        assertTrue(phrasingOf(q).matcher("Order LP123456 should have come 12 days ago. Where is the desk lamp?").matches());
        assertFalse(phrasingOf(q).matcher("Order LP123456 is 12 days late. Where is the desk lamp?").matches());
    }

    /** The question as a pattern in which its product, numbers and order numbers may be anything. */
    private static Pattern phrasingOf(HeldOutQuestion q) {
        String text = q.question();
        if (q.product() != null) text = text.replace(q.product(), "\u0000P\u0000");
        text = ORDER.matcher(text).replaceAll("\u0000O\u0000").replaceAll("\\d+", "\u0000N\u0000");
        StringBuilder regex = new StringBuilder();
        for (String part : text.split("\u0000", -1)) {
            switch (part) {
                case "P" -> regex.append(".+?");
                case "O" -> regex.append("LP\\d{6}");
                case "N" -> regex.append("\\d+");
                default -> regex.append(Pattern.quote(part));
            }
        }
        return Pattern.compile(regex.toString());
    }

    private static List<JsonNode> rows() throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        new ObjectMapper().readTree(Files.readString(TRAINING)).forEach(rows::add);
        return rows;
    }
}
