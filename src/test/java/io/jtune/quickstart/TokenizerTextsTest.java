package io.jtune.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the quickstart gives its BPE trainer, so that every Chinese character becomes one token. */
class TokenizerTextsTest {
    @Test
    void chineseCharactersAreLearnedApartAndOtherTextIsKept() {
        assertEquals("订\n单\nLP123被\n扣\n了\n。Order LP1 é", Quickstart.hanApart("订单LP123被扣了。Order LP1 é"));
    }

    @Test
    void everyNonAsciiCharacterStandsAloneOnItsLinesOften() {
        String lines = Quickstart.everyCharacterAlone(List.of("ab 你好", "é"), "好。");
        List<String> distinct = lines.lines().distinct().sorted().toList();
        assertEquals(List.of("é", "。", "你", "好"), distinct);
        assertTrue(lines.lines().filter("你"::equals).count() >= 100, "often enough to be merged before words");
    }
}
