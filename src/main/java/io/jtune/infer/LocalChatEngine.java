package io.jtune.infer;

import io.jtune.JtuneException;
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
            if (tools == null) throw new JtuneException("tools: " + model.format().whyNoTools());
        }
        int[] prompt = model.format().prompt(request);
        if (request.cancellation().isCancelled()) return new ChatResult("", FinishReason.CANCELLED, prompt.length, 0);
        ToolCallText toolText = tools == null ? null : new ToolCallText(tools);
        TokenListener out = toolText == null ? listener : piece -> {
            String safe = toolText.accept(piece);
            if (!safe.isEmpty()) listener.onText(safe);
        };
        GenerationSettings settings = model.defaults().with(request.sampling());
        List<String> stops = new ArrayList<>(request.sampling().stop());
        stops.addAll(model.stopWords());
        StopStrings stopStrings = new StopStrings(stops);
        StreamingDecoder decoder = model.tokenizer().streamingDecoder(model.skipSpecialTokens());
        StringBuilder text = new StringBuilder();
        Generator.Outcome outcome = Generator.generate(session, prompt, settings, model.stopIds(), token -> {
            if (request.cancellation().isCancelled()) return FinishReason.CANCELLED;
            String safe = stopStrings.accept(decoder.next(token));
            emit(safe, text, out);
            if (stopStrings.matched()) return FinishReason.STOP;
            return request.cancellation().isCancelled() ? FinishReason.CANCELLED : null;
        });
        if (outcome.reason() != FinishReason.CANCELLED && !stopStrings.matched()) {
            emit(stopStrings.accept(decoder.finish()), text, out);
            if (!stopStrings.matched()) emit(stopStrings.flush(), text, out);
        }
        if (toolText != null && outcome.reason() != FinishReason.CANCELLED) {
            ToolCallText.Reply reply = toolText.finish(listener);
            if (!reply.calls().isEmpty()) {
                return new ChatResult(reply.content(), reply.calls(), FinishReason.TOOL_CALLS, outcome.promptTokens(), outcome.tokens().length);
            }
        }
        return new ChatResult(text.toString(), outcome.reason(), outcome.promptTokens(), outcome.tokens().length);
    }

    private static void emit(String piece, StringBuilder text, TokenListener listener) {
        if (piece.isEmpty()) return;
        text.append(piece);
        listener.onText(piece);
    }

    @Override
    public void close() {
        model.close();
    }
}
