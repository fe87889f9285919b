package io.jtune.serve.openai;

import io.jtune.infer.Cancellation;
import io.jtune.infer.ChatMessage;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.SamplingParams;
import java.util.List;

/**
 * A validated POST /v1/chat/completions body: what to generate and how to answer.
 *
 * @param model the request's model field, echoed in the reply as LLaMA-Factory does
 * @param includeUsage stream_options.include_usage: a last chunk with usage before [DONE]
 * @param system the system (or developer) message, or null
 * @param tools the tools offered to the model as a JSON array, or null
 */
record ChatCompletionCall(
        String model, boolean stream, boolean includeUsage, List<ChatMessage> messages, String system, String tools,
        SamplingParams sampling) {

    /** Role and content of each message, the system message first: what the access log shows when API_LOG_PROMPTS is on. */
    List<String[]> loggedMessages() {
        List<String[]> logged = new java.util.ArrayList<>();
        if (system != null) logged.add(new String[] {"system", system});
        for (ChatMessage m : messages) logged.add(new String[] {m.role().wireName(), m.content()});
        return logged;
    }

    ChatRequest toChatRequest(Cancellation cancellation) {
        return new ChatRequest(messages, system, tools, sampling, cancellation);
    }
}
