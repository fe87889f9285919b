package io.jtune.export;

import io.jtune.data.template.Slot;
import io.jtune.data.template.Template;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Jinja chat template LLaMA-Factory writes into an exported tokenizer (Template._get_jinja_template
 * and Llama2Template's variant, data/template.py): the template's prefix, system, user and assistant
 * slots joined into one expression per turn. Observation and function turns are not rendered, as in
 * LLaMA-Factory.
 */
public final class JinjaChatTemplate {
    /**
     * Templates registered with replace_jinja_template=True in LLaMA-Factory (checked at ff6d4d12eeb0):
     * their Jinja replaces the tokenizer's own chat template; every other template only fills in a
     * missing one.
     */
    static final Set<String> REPLACES_TOKENIZER_TEMPLATE =
            Set.of("alpaca", "chatml", "chatml_de", "default", "ernie_vl", "fewshot", "vicuna");

    private JinjaChatTemplate() {}

    /** Whether the export writes the template's Jinja: the tokenizer has none, or the template replaces it. */
    public static boolean shouldReplace(Template template, String tokenizerChatTemplate) {
        return tokenizerChatTemplate == null || REPLACES_TOKENIZER_TEMPLATE.contains(template.name());
    }

    /**
     * The Jinja text, or empty when a slot names a token by id-lookup (LLaMA-Factory's dict slots),
     * which it cannot express ("Dict is not supported") and then leaves the tokenizer's template alone.
     *
     * @param bosToken the tokenizer's BOS text, or null when it has none
     * @param eosToken the tokenizer's EOS text after the template's fixes (a replaced EOS), or null
     */
    public static Optional<String> render(Template t, String bosToken, String eosToken) {
        try {
            String prefix = slots(t.prefix().slots(), "content", bosToken, eosToken);
            String system = slots(t.system().slots(), "system_message", bosToken, eosToken);
            String user = slots(t.user().slots(), "content", bosToken, eosToken);
            String assistant = slots(t.assistant().slots(), "content", bosToken, eosToken);
            StringBuilder sb = new StringBuilder();
            if (!prefix.isEmpty()) sb.append("{{ ").append(prefix).append(" }}");
            if (t.defaultSystem() != null && !t.defaultSystem().isEmpty()) {
                sb.append("{% set system_message = '").append(escape(t.defaultSystem())).append("' %}");
            }
            sb.append("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
                    + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% endif %}");
            if (t.kind() == Template.Kind.LLAMA2) {
                // Llama 2 folds the system text into the first user message
                sb.append("{% for message in loop_messages %}"
                        + "{% if loop.index0 == 0 and system_message is defined %}"
                        + "{% set content = ").append(system).append(" + message['content'] %}"
                        + "{% else %}{% set content = message['content'] %}{% endif %}");
            } else {
                sb.append("{% if system_message is defined %}{{ ").append(system).append(" }}{% endif %}"
                        + "{% for message in loop_messages %}{% set content = message['content'] %}");
            }
            sb.append("{% if message['role'] == 'user' %}{{ ").append(user).append(" }}"
                    + "{% elif message['role'] == 'assistant' %}{{ ").append(assistant).append(" }}"
                    + "{% endif %}{% endfor %}");
            return Optional.of(sb.toString());
        } catch (TokenSlot e) {
            return Optional.empty();
        }
    }

    /** Slots as one Jinja expression: quoted text pieces and the placeholder variable joined with " + ". */
    private static String slots(List<Slot> slots, String placeholder, String bos, String eos) {
        List<String> items = new ArrayList<>();
        for (Slot s : slots) {
            switch (s) {
                case Slot.Text text -> {
                    String[] pieces = text.text().split("\\{\\{content\\}\\}", -1);
                    if (!pieces[0].isEmpty()) items.add(quote(pieces[0]));
                    if (pieces.length > 1) {
                        items.add(placeholder);
                        if (!pieces[1].isEmpty()) items.add(quote(pieces[1]));
                    }
                }
                // BOS/EOS are written as their text, never {{ eos_token }}, since the EOS may have been replaced
                case Slot.Special special -> {
                    String token = special == Slot.Special.BOS ? bos : eos;
                    if (token != null) items.add("'" + token + "'");
                }
                case Slot.Token token -> throw new TokenSlot();
            }
        }
        return String.join(" + ", items);
    }

    private static String quote(String text) {
        return "'" + escape(text) + "'";
    }

    /** LLaMA-Factory's _jinja_escape: only single quotes are escaped (newlines stay literal inside the quotes). */
    private static String escape(String text) {
        return text.replace("'", "\\'");
    }

    private static final class TokenSlot extends RuntimeException {
        TokenSlot() {
            super(null, null, false, false);
        }
    }
}
