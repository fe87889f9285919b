package io.jtune.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.data.template.ToolStyles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a reply's pieces reach the listener with stop strings and tool calls held back, and what the result says. */
class ReplyTextTest {

    private record Run(List<String> shown, ChatResult result) {
        String shownText() {
            return String.join("", shown);
        }
    }

    private static Run feed(List<String> stops, boolean tools, String... pieces) {
        List<String> shown = new ArrayList<>();
        ReplyText text = new ReplyText(stops, tools ? ToolStyles.QWEN : null, shown::add);
        for (String p : pieces) {
            if (text.accept(p)) break;
        }
        return new Run(shown, text.finish("", FinishReason.STOP, 3, pieces.length));
    }

    @Test
    void aQwenToolCallIsHeldBackAndParsed() {
        Run run = feed(List.of(), true, "I will ", "call it.\n<to", "ol_call>\n{\"name\": \"add\", ",
                "\"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call>\n<tool_call>\n{\"name\": \"neg\", \"arguments\": {\"x\": 1}}\n</tool_call>");
        assertEquals("I will call it.\n", run.shownText());
        assertEquals(run.shownText(), run.result().text());
        assertEquals(FinishReason.TOOL_CALLS, run.result().finishReason());
        assertEquals(2, run.result().toolCalls().size());
        assertEquals("add", run.result().toolCalls().get(0).name());
        assertEquals("{\"a\": 2, \"b\": 3}", run.result().toolCalls().get(0).arguments());
        assertEquals("neg", run.result().toolCalls().get(1).name());
        assertTrue(run.result().toolCalls().get(0).id().matches("call_[0-9a-f]{24}"));
        assertTrue(!run.result().toolCalls().get(0).id().equals(run.result().toolCalls().get(1).id()));
    }

    @Test
    void textThatOnlyLooksLikeACallIsReleasedAtTheEnd() {
        Run partial = feed(List.of(), true, "a <tool", " b <to");
        assertEquals("a <tool b <to", partial.shownText());
        assertEquals(FinishReason.STOP, partial.result().finishReason());
        assertEquals(partial.shownText(), partial.result().text());

        Run broken = feed(List.of(), true, "x <tool_call>\nnot json\n</tool_call>");
        assertEquals("x <tool_call>\nnot json\n</tool_call>", broken.shownText());
        assertTrue(broken.result().toolCalls().isEmpty());
        assertEquals(broken.shownText(), broken.result().text());
    }

    @Test
    void withoutToolsTheCallTextIsOrdinaryText() {
        Run run = feed(List.of(), false, "<tool_call>\n{\"name\": \"add\", \"arguments\": {}}\n</tool_call>");
        assertEquals("<tool_call>\n{\"name\": \"add\", \"arguments\": {}}\n</tool_call>", run.shownText());
        assertTrue(run.result().toolCalls().isEmpty());
    }

    @Test
    void aCancelledReplyIsWhatWasShown() {
        List<String> shown = new ArrayList<>();
        ReplyText text = new ReplyText(List.of(), ToolStyles.QWEN, shown::add);
        text.accept("before <tool_call>\n{\"name\": ");
        ChatResult r = text.finish("", FinishReason.CANCELLED, 1, 1);
        assertEquals("before ", String.join("", shown));
        assertEquals("before ", r.text());
        assertEquals(FinishReason.CANCELLED, r.finishReason());
    }

    @Test
    void aStopStringEndsTheReplyBeforeAnyCall() {
        Run run = feed(List.of("END"), true, "done E", "ND <tool_call>{}");
        assertEquals("done ", run.shownText());
        assertEquals(FinishReason.STOP, run.result().finishReason());
        assertEquals("done ", run.result().text());
    }
}
