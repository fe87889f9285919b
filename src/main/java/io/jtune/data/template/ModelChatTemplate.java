package io.jtune.data.template;

import io.jtune.data.template.jinja.JinjaTemplate;
import io.jtune.tokenizer.Tokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The model's own Jinja chat template (tokenizer_config.json's chat_template, or chat_template.jinja
 * beside it), rendered as transformers' apply_chat_template renders it: the messages, the tools, the
 * add_generation_prompt flag, the tokenizer's special tokens (bos_token, eos_token, unk_token,
 * pad_token) and extra keyword arguments such as enable_thinking. jtune uses it for chat, the API and
 * prediction when the config names no {@code template}, as vLLM does and as LLaMA-Factory does with
 * a template parsed from it.
 */
public final class ModelChatTemplate {
    private final JinjaTemplate jinja;
    private final String text;
    private final Map<String, Object> specialTokens;

    private ModelChatTemplate(JinjaTemplate jinja, String text, Map<String, Object> specialTokens) {
        this.jinja = jinja;
        this.text = text;
        this.specialTokens = specialTokens;
    }

    /**
     * The tokenizer's chat template, compiled; empty when it has none.
     *
     * @param where how errors name the template's origin, e.g. "the chat template of /models/qwen3"
     * @throws io.jtune.data.template.jinja.JinjaException when it uses Jinja outside the supported subset
     */
    public static Optional<ModelChatTemplate> of(Tokenizer tokenizer, String where) {
        String text = tokenizer.chatTemplate();
        if (text == null || text.isBlank()) return Optional.empty();
        Map<String, Object> tokens = new LinkedHashMap<>();
        tokens.put("bos_token", tokenText(tokenizer, tokenizer.bosTokenId()));
        tokens.put("eos_token", tokenText(tokenizer, tokenizer.eosTokenId()));
        tokens.put("pad_token", tokenText(tokenizer, tokenizer.padTokenId()));
        return Optional.of(new ModelChatTemplate(JinjaTemplate.compile(where, text), text, tokens));
    }

    /** transformers passes a missing special token as None; a template may test it with "is none". */
    private static String tokenText(Tokenizer tokenizer, OptionalInt id) {
        return id.isPresent() ? tokenizer.idToToken(id.getAsInt()) : null;
    }

    /**
     * The prompt text for {@code messages} (OpenAI / transformers shape: role, content, tool_calls,
     * tool_call_id), with {@code tools} (function definitions) when not null.
     */
    public String render(List<Map<String, Object>> messages, List<?> tools, boolean addGenerationPrompt, Map<String, Object> kwargs) {
        Map<String, Object> context = new LinkedHashMap<>(specialTokens);
        context.putAll(kwargs);
        context.put("messages", messages);
        context.put("tools", tools);
        context.put("add_generation_prompt", addGenerationPrompt);
        return jinja.render(context);
    }

    /** Whether the template reads the tools at all; one that does not would drop a request's tools silently. */
    public boolean rendersTools() {
        return text.contains("tools");
    }

    /**
     * The tool-call format the template teaches the model, recognised from its text, as vLLM's tool
     * parsers are chosen: Hermes-style &lt;tool_call&gt; tags (Qwen 2.5, Qwen 3), Mistral's
     * [TOOL_CALLS], Llama 3.x's JSON with "parameters". Empty when none is recognised.
     */
    public Optional<ToolStyle> toolStyle() {
        if (text.contains("<tool_call>")) return Optional.of(ToolStyles.QWEN);
        if (text.contains("[TOOL_CALLS]") || text.contains("[AVAILABLE_TOOLS]")) return Optional.of(ToolStyles.MISTRAL);
        if (text.contains("\"parameters\"") && text.contains("<|start_header_id|>")) return Optional.of(ToolStyles.LLAMA3);
        return Optional.empty();
    }

    /** The eos_token the template's turns end with (what transformers passes as eos_token), or null. */
    public String eosToken() {
        return (String) specialTokens.get("eos_token");
    }
}
