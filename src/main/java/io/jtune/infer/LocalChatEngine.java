package io.jtune.infer;

import io.jtune.data.template.ToolStyle;
import io.jtune.model.InferenceSession;
import io.jtune.tokenizer.StreamingDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link ChatEngine} on jtune's own engine: builds the prompt with the model's
 * {@link PromptFormat} (as LLaMA-Factory's chat does with a named template: encode_oneturn over the
 * history plus an empty assistant turn; or the model's own chat template), generates with the KV
 * cache, and streams the reply decoded incrementally (never half a UTF-8 character), holding back
 * text that may still become a stop string. With tools in the request, the text from the start of
 * a tool call on is held back too, and the calls are parsed from the reply by the format's tool
 * style into {@link ChatResult#toolCalls()}.
 *
 * <p>One {@link InferenceSession} lives across requests: a chat's next turn starts with the
 * previous prompt and reply, so only the new tokens are prefilled.
 */
public final class LocalChatEngine implements ChatEngine, AutoCloseable {
    private final ChatModel model;
    private final InferenceSession session;

    public LocalChatEngine(ChatModel model) {
        this.model = model;
        this.session = new InferenceSession(model.model(), model.adapter());
    }

    @Override
    public String modelName() {
        return model.name();
    }

    public ChatModel model() {
        return model;
    }

    /** Turns the LoRA adapter on or off (off = the base model); see {@link InferenceSession#setAdapterEnabled}. */
    public void setAdapterEnabled(boolean enabled) {
        session.setAdapterEnabled(enabled);
    }

    /** The prompt ids LLaMA-Factory's chat would feed the model for this conversation. */
    public int[] promptIds(List<ChatMessage> messages, String system) {
        return model.format().prompt(new ChatRequest(messages, system, SamplingParams.DEFAULTS, new Cancellation()));
    }

    @Override
    public ChatResult generate(ChatRequest request, TokenListener listener) {
        ToolStyle tools = null;
        if (request.hasTools()) {
            tools = model.format().toolStyle();
            if (tools == null) throw new ToolsUnavailableException(model.format().whyNoTools());
        }
        int[] prompt = model.format().prompt(request);
        if (request.cancellation().isCancelled()) return new ChatResult("", FinishReason.CANCELLED, prompt.length, 0);
        GenerationSettings settings = model.defaults().with(request.sampling());
        List<String> stops = new ArrayList<>(request.sampling().stop());
        stops.addAll(model.stopWords());
        ReplyText reply = new ReplyText(stops, tools, listener);
        StreamingDecoder decoder = model.tokenizer().streamingDecoder(model.skipSpecialTokens());
        Generator.Outcome outcome = Generator.generate(session, prompt, settings, model.stopIds(), token -> {
            if (request.cancellation().isCancelled()) return FinishReason.CANCELLED;
            if (reply.accept(decoder.next(token))) return FinishReason.STOP;
            return request.cancellation().isCancelled() ? FinishReason.CANCELLED : null;
        });
        String tail = outcome.reason() == FinishReason.CANCELLED ? "" : decoder.finish();
        return reply.finish(tail, outcome.reason(), outcome.promptTokens(), outcome.tokens().length);
    }

    @Override
    public void close() {
        model.close();
    }
}
