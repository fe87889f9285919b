package io.jtune.data.template;

import io.jtune.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A template read off the model's own chat template, as LLaMA-Factory's parse_template does when the
 * config names no template (data/template.py, get_template_and_fix_tokenizer): the Jinja is
 * rendered with "{{content}}" as every message's text, and the text around it becomes the prefix
 * and the system, user and assistant formats; the default system text is what the template adds
 * when the conversation has none. Tools use the default tool style; there are no stop words besides
 * EOS. Training then encodes conversations message by message as with any named template.
 */
public final class ParsedTemplate {
    private static final String CONTENT = "{{content}}";

    private ParsedTemplate() {}

    /** The template LLaMA-Factory would parse from {@code chatTemplate} with {@code tokenizer}. */
    public static Template parse(ModelChatTemplate chatTemplate, Tokenizer tokenizer) {
        String prefix = tokenizer.decode(tokenizer.encode("", true), false);

        String systemSlot = after(prefix, render(chatTemplate, false, "system", CONTENT));
        String userSlotEmptySystem = after(prefix, render(chatTemplate, true, "system", "", "user", CONTENT));
        String userSlot = after(prefix, render(chatTemplate, true, "user", CONTENT));
        String assistantSlot = after(prefix + userSlot, render(chatTemplate, false, "user", CONTENT, "assistant", CONTENT))
                .replace("<think>", "").replace("</think>", "");
        assistantSlot = stripLeadingNewlines(assistantSlot);

        String defaultSystem = "";
        if (userSlot.length() > userSlotEmptySystem.length()) {
            defaultSystem = findDiff(userSlotEmptySystem, userSlot);
            String soleSystem = systemSlot.replaceFirst(java.util.regex.Pattern.quote(CONTENT),
                    java.util.regex.Matcher.quoteReplacement(defaultSystem));
            userSlot = userSlot.substring(Math.min(soleSystem.length(), userSlot.length()));
        }

        TemplateBuilder b = new TemplateBuilder("the model's chat template")
                .user(userSlot)
                .assistant(assistantSlot)
                .system(systemSlot)
                .function(ToolStyles.DEFAULT, assistantSlot)
                .observation(userSlot)
                .tools(ToolStyles.DEFAULT)
                .defaultSystem(defaultSystem)
                .thoughtWords("<think>", "</think>");
        if (!prefix.isEmpty()) b.prefix(prefix);
        return b.build();
    }

    /** The chat template over messages given as role, content, role, content... */
    private static String render(ModelChatTemplate t, boolean addGenerationPrompt, String... roleContent) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < roleContent.length; i += 2) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", roleContent[i]);
            m.put("content", roleContent[i + 1]);
            messages.add(m);
        }
        return t.render(messages, null, addGenerationPrompt, Map.of());
    }

    /** Python's text[len(head):]. */
    private static String after(String head, String text) {
        return text.substring(Math.min(head.length(), text.length()));
    }

    private static String stripLeadingNewlines(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') i++;
        return s.substring(i);
    }

    /** LLaMA-Factory's find_diff: the characters of {@code longer} that a greedy walk along {@code shorter} skips. */
    static String findDiff(String shorter, String longer) {
        StringBuilder diff = new StringBuilder();
        int i = 0, j = 0;
        while (i < shorter.length() && j < longer.length()) {
            if (shorter.charAt(i) == longer.charAt(j)) {
                i++;
            } else {
                diff.append(longer.charAt(j));
            }
            j++;
        }
        return diff.toString();
    }
}
