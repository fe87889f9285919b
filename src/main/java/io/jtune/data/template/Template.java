package io.jtune.data.template;

import io.jtune.data.InvalidRecordException;
import io.jtune.data.Message;
import io.jtune.util.IntList;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chat template with LLaMA-Factory's semantics (template.py). A conversation is encoded message
 * by message; the first message also carries the prefix and the system text (with the tools
 * description appended); consecutive (prompt, response) messages form the pairs the processors
 * label.
 *
 * <p>Three behaviours, as LLaMA-Factory's three classes: {@link Kind#STANDARD}; {@link Kind#LLAMA2}
 * folds the formatted system text into the first user message; {@link Kind#REASONING} adds an
 * empty thought ({@code <think>\n\n</think>\n\n}) to answers that have none, as prompt when
 * thinking is disabled (no loss on it) and as response when enabled.
 */
public record Template(
        String name,
        Kind kind,
        Formatter.Empty prefix,
        Formatter.Text user,
        Formatter.Text assistant,
        Formatter.Text system,
        Formatter.Function function,
        Formatter.Text observation,
        Formatter.Tools tools,
        String defaultSystem,
        List<String> stopWords,
        List<String> thoughtWords,
        List<String> toolCallWords,
        boolean efficientEos,
        boolean replaceEos,
        boolean enableThinking,
        boolean preserveThinking) {

    public enum Kind { STANDARD, LLAMA2, REASONING }

    /** A prompt and the response that follows it, as token ids. */
    public record EncodedPair(int[] prompt, int[] response) {}

    public Template {
        stopWords = List.copyOf(stopWords);
        thoughtWords = List.copyOf(thoughtWords);
        toolCallWords = List.copyOf(toolCallWords);
    }

    /** The template with LLaMA-Factory's enable_thinking (reasoning templates only look at it). */
    public Template withThinking(boolean enable, boolean preserve) {
        return new Template(name, kind, prefix, user, assistant, system, function, observation, tools, defaultSystem,
                stopWords, thoughtWords, toolCallWords, efficientEos, replaceEos, enable, preserve);
    }

    /** The template with another default system message (LLaMA-Factory's default_system argument). */
    public Template withDefaultSystem(String text) {
        return new Template(name, kind, prefix, user, assistant, system, function, observation, tools, text,
                stopWords, thoughtWords, toolCallWords, efficientEos, replaceEos, enableThinking, preserveThinking);
    }

    /** The template with another tool format (LLaMA-Factory's tool_format argument). */
    public Template withToolFormat(ToolStyle style) {
        List<Slot> slots = efficientEos ? List.of(Slot.text("{{content}}")) : List.of(Slot.text("{{content}}"), Slot.EOS);
        return new Template(name, kind, prefix, user, assistant, system, new Formatter.Function(slots, style),
                observation, new Formatter.Tools(style), defaultSystem, stopWords, thoughtWords, toolCallWords,
                efficientEos, replaceEos, enableThinking, preserveThinking);
    }

    /** All messages but the last are the prompt, the last is the response (LLaMA-Factory's encode_oneturn). */
    public EncodedPair encodeOneturn(ChatTokenizer tok, List<Message> messages, String system, String tools) {
        List<Message> msgs = new ArrayList<>(messages);
        if (kind == Kind.REASONING) {
            if (!preserveThinking) {
                for (int i = 1; i < msgs.size() - 2; i += 2) msgs.set(i, withoutThought(msgs.get(i)));
            }
            if (!enableThinking) msgs.set(msgs.size() - 1, withoutThought(msgs.getLast()));
        }
        List<int[]> encoded = encodeMessages(tok, msgs, system, tools);
        IntList prompt = new IntList();
        for (int i = 0; i < encoded.size() - 1; i++) prompt.addAll(encoded.get(i));
        int[] response = encoded.getLast();
        if (kind == Kind.REASONING && !hasThought(msgs.getLast().content())) {
            int[] thought = tok.encode(emptyThought());
            if (!enableThinking) prompt.addAll(thought);
            else response = concat(thought, response);
        }
        return new EncodedPair(prompt.toArray(), response);
    }

    /**
     * The prompt for generating the next answer: the conversation (ending with a user or observation
     * turn) followed by an empty answer, encoded as one turn (what LLaMA-Factory's chat engine does).
     */
    public int[] encodeGenerationPrompt(ChatTokenizer tok, List<Message> messages, String system, String tools) {
        List<Message> paired = new ArrayList<>(messages);
        paired.add(Message.assistant(""));
        return encodeOneturn(tok, paired, system, tools).prompt();
    }

    /** The calls in a generated answer, by this template's tool style; empty for a plain answer. */
    public List<FunctionCall> extractTool(String content) {
        return tools.style().extract(content);
    }

    /** One (prompt, response) pair per turn (LLaMA-Factory's encode_multiturn). */
    public List<EncodedPair> encodeMultiturn(ChatTokenizer tok, List<Message> messages, String system, String tools,
                                             boolean discardingHistoryCot) {
        List<Message> msgs = new ArrayList<>(messages);
        if (kind == Kind.REASONING) {
            if (!enableThinking) {
                for (int i = 1; i < msgs.size(); i += 2) msgs.set(i, withoutThought(msgs.get(i)));
            }
            if (discardingHistoryCot) {
                for (int i = 1; i < msgs.size() - 2; i += 2) msgs.set(i, withoutThought(msgs.get(i)));
            }
        }
        List<int[]> encoded = encodeMessages(tok, msgs, system, tools);
        if (kind == Kind.REASONING) {
            int first = discardingHistoryCot ? msgs.size() - 2 : 0;
            int step = discardingHistoryCot ? msgs.size() : 2;
            for (int i = first; i >= 0 && i + 1 < msgs.size(); i += step) {
                if (hasThought(msgs.get(i + 1).content())) continue;
                int[] thought = tok.encode(emptyThought());
                if (!enableThinking) encoded.set(i, concat(encoded.get(i), thought));
                else encoded.set(i + 1, concat(thought, encoded.get(i + 1)));
            }
        }
        List<EncodedPair> pairs = new ArrayList<>();
        for (int i = 0; i + 1 < encoded.size(); i += 2) pairs.add(new EncodedPair(encoded.get(i), encoded.get(i + 1)));
        return pairs;
    }

    /** Each message's slots: "turn 0: prefix + system + query, turn t: query" (LLaMA-Factory's _encode). */
    public List<List<Slot>> render(List<Message> messages, String recordSystem, String toolsJson) {
        String sys = (recordSystem == null || recordSystem.isEmpty()) ? defaultSystem : recordSystem;
        boolean hasTools = toolsJson != null && !toolsJson.isEmpty();
        List<List<Slot>> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            List<Slot> elements = new ArrayList<>();
            String systemText = "";
            if (i == 0) {
                elements.addAll(prefix.apply());
                if (!sys.isEmpty() || hasTools) {
                    String toolText = hasTools ? tools.apply(toolsJson) : "";
                    List<Slot> sysSlots = system.apply(sys + toolText);
                    if (kind == Kind.LLAMA2) systemText = firstText(sysSlots);
                    else elements.addAll(sysSlots);
                }
            }
            switch (m.role()) {
                case USER -> elements.addAll(kind == Kind.LLAMA2
                        ? user.apply(systemText + m.content())
                        : user.apply(m.content(), Integer.toString(i / 2)));
                case ASSISTANT -> elements.addAll(assistant.apply(m.content()));
                case OBSERVATION -> elements.addAll(observation.apply(m.content()));
                case FUNCTION -> elements.addAll(kind == Kind.LLAMA2
                        ? function.apply(m.content(), null, null)
                        : function.apply(m.content(), thoughtWords.toArray(String[]::new),
                                toolCallWords.toArray(String[]::new)));
                case SYSTEM -> throw new InvalidRecordException("system turn inside the conversation",
                        "only the first turn may be a system turn");
            }
            out.add(elements);
        }
        return out;
    }

    private List<int[]> encodeMessages(ChatTokenizer tok, List<Message> messages, String system, String toolsJson) {
        List<int[]> out = new ArrayList<>();
        for (List<Slot> slots : render(messages, system, toolsJson)) out.add(tok.ids(slots));
        return out;
    }

    /** LLaMA-Factory's Llama2Template takes element [0] of the formatted system slots. */
    private static String firstText(List<Slot> slots) {
        if (!slots.isEmpty() && slots.getFirst() instanceof Slot.Text t) return t.text();
        throw new IllegalStateException("a Llama2-style system format must start with text");
    }

    /** The empty thought LLaMA-Factory inserts: thought_words[0] + thought_words[1]. */
    public String emptyThought() {
        return thoughtWords.get(0) + thoughtWords.get(1);
    }

    private boolean hasThought(String content) {
        return content.contains(thoughtWords.get(0).strip()) || content.contains(thoughtWords.get(1).strip());
    }

    private Message withoutThought(Message m) {
        Pattern p = Pattern.compile(Pattern.quote(thoughtWords.get(0)) + "(.*?)" + Pattern.quote(thoughtWords.get(1)),
                Pattern.DOTALL);
        String removed = p.matcher(m.content()).replaceAll(Matcher.quoteReplacement(""));
        int start = 0;
        while (start < removed.length() && removed.charAt(start) == '\n') start++;
        return m.withContent(removed.substring(start));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
