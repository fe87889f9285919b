package io.jtune.data.template;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One template registration with LLaMA-Factory's register_template defaults: the user format is
 * "{{content}}"; the assistant format is "{{content}}" followed by EOS (just "{{content}}" with
 * efficient_eos); the system and observation formats fall back to the user format; the function
 * format reuses the assistant slots with the default tool style.
 *
 * <p>Slots are written as strings, with {@link Slot#BOS}, {@link Slot#EOS} and {@link Slot#token}
 * for tokens.
 */
public final class TemplateBuilder {
    private final String name;
    private List<Slot> prefix = List.of();
    private List<Slot> user;
    private List<Slot> assistant;
    private List<Slot> system;
    private List<Slot> function;
    private ToolStyle functionStyle;
    private List<Slot> observation;
    private ToolStyle toolStyle = ToolStyles.DEFAULT;
    private String defaultSystem = "";
    private List<String> stopWords = List.of();
    private List<String> thoughtWords = List.of("<think>\n", "\n</think>\n\n");
    private List<String> toolCallWords = List.of("<tool_call>", "</tool_call>");
    private boolean efficientEos;
    private boolean replaceEos;
    private Template.Kind kind = Template.Kind.STANDARD;

    TemplateBuilder(String name) {
        this.name = name;
    }

    static List<Slot> slots(Object... parts) {
        List<Slot> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof String s) out.add(Slot.text(s));
            else if (p instanceof Slot s) out.add(s);
            else throw new IllegalArgumentException("slot must be a String or a Slot: " + p);
        }
        return out;
    }

    public TemplateBuilder prefix(Object... parts) { prefix = slots(parts); return this; }
    public TemplateBuilder user(Object... parts) { user = slots(parts); return this; }
    public TemplateBuilder assistant(Object... parts) { assistant = slots(parts); return this; }
    public TemplateBuilder system(Object... parts) { system = slots(parts); return this; }
    public TemplateBuilder observation(Object... parts) { observation = slots(parts); return this; }

    /** The function-call turn's slots and the tool style that renders the calls. */
    public TemplateBuilder function(ToolStyle style, Object... parts) {
        function = slots(parts);
        functionStyle = style;
        return this;
    }

    /** The tool style that describes the tools in the system message. */
    public TemplateBuilder tools(ToolStyle style) { toolStyle = style; return this; }
    public TemplateBuilder defaultSystem(String text) { defaultSystem = text; return this; }
    public TemplateBuilder stopWords(String... words) { stopWords = Arrays.asList(words); return this; }
    public TemplateBuilder thoughtWords(String open, String close) { thoughtWords = List.of(open, close); return this; }
    public TemplateBuilder efficientEos() { efficientEos = true; return this; }
    public TemplateBuilder replaceEos() { replaceEos = true; return this; }
    public TemplateBuilder kind(Template.Kind k) { kind = k; return this; }

    Template build() {
        List<Slot> defaultAssistant = efficientEos ? slots("{{content}}") : slots("{{content}}", Slot.EOS);
        List<Slot> userSlots = user != null ? user : slots("{{content}}");
        List<Slot> assistantSlots = assistant != null ? assistant : defaultAssistant;
        Formatter.Function fn = function != null
                ? new Formatter.Function(function, functionStyle)
                : new Formatter.Function(assistant != null ? assistant : defaultAssistant, ToolStyles.DEFAULT);
        return new Template(name, kind,
                new Formatter.Empty(prefix),
                new Formatter.Text(userSlots),
                new Formatter.Text(assistantSlots),
                new Formatter.Text(system != null ? system : slots("{{content}}")),
                fn,
                new Formatter.Text(observation != null ? observation : userSlots),
                new Formatter.Tools(toolStyle),
                defaultSystem, stopWords, thoughtWords, toolCallWords, efficientEos, replaceEos,
                true, false);
    }
}
