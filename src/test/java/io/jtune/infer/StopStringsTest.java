package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void holdsBackAPossibleStopAndCutsAtTheMatch() {
        StopStrings s = new StopStrings(List.of("<END>", "xyz"));
        assertEquals("hello ", s.accept("hello <E"));
        assertFalse(s.matched());
        assertEquals("", s.accept("N"));
        assertEquals("<EN", s.accept("x"));   // "<ENx" cannot become "<END>", but "x" may still start "xyz"
        assertEquals("xa", s.accept("a"));
        assertFalse(s.matched());
    }

    @Test
    void matchAcrossPiecesEndsTheText() {
        StopStrings s = new StopStrings(List.of("<END>"));
        assertEquals("ab", s.accept("ab<EN"));
        assertEquals("", s.accept("D>tail"));
        assertTrue(s.matched());
        assertEquals("", s.accept("more"));
    }

    @Test
    void flushReturnsWhatWasHeldWhenTheReplyEnds() {
        StopStrings s = new StopStrings(List.of("###"));
        assertEquals("a", s.accept("a##"));
        assertEquals("##", s.flush());
    }
}
