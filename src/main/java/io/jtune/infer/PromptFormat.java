package io.jtune.infer;

import io.jtune.data.template.ToolStyle;
import java.util.List;
import java.util.Set;

/**
 * How a conversation becomes the prompt a model continues, and how its reply ends: a template
 * named in the config (LLaMA-Factory's, {@link NamedTemplateFormat}) or the model's own Jinja chat
 * template ({@link ModelTemplateFormat}, used when the config names none).
 */
public interface PromptFormat {

    /**
     * The token ids the model continues from to answer {@code request}.
     *
     * @throws IllegalArgumentException when the format cannot express the conversation
     * @throws io.jtune.JtuneException  when the template refuses it (its raise_exception) or fails to render
     */
    int[] prompt(ChatRequest request);

    /** Text that ends a reply wherever it appears in the decoded text (a stop word may span tokens). */
    List<String> stopWords();

    /** Token ids that end a reply, besides generation_config.json's eos_token_id. */
    Set<Integer> stopIds();

    /** How the model writes tool calls, or null when this format cannot offer tools. */
    ToolStyle toolStyle();

    /** Why a request with tools cannot be served, for the error when {@link #toolStyle()} is null. */
    String whyNoTools();

    /** For logs and banners, e.g. "template qwen" or "the model's chat template". */
    String describe();
}
