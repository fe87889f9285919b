package io.jtune.infer;

import io.jtune.data.Message;
import io.jtune.model.InferenceSession;
import io.jtune.model.LoraAdapter;
import io.jtune.tokenizer.StreamingDecoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ChatEngine} on jtune's own engine: builds the prompt as LLaMA-Factory's chat does
 * (template.encode_oneturn over the history plus an empty assistant turn, with the request's system
 * prompt or the template's default), generates with the KV cache, and streams the reply decoded
 * incrementally (never half a UTF-8 character), holding back text that may still become a stop
 * string.
 *
 * <p>One {@link InferenceSession} per served model (the base, each adapter) lives across requests:
 * a chat's next turn starts with the previous prompt and reply, so only the new tokens are prefilled.
 * Generations are serialised (callers share one engine: the server queues its requests).
 */
public final class LocalChatEngine implements ChatEngine, AutoCloseable {
    private final ChatModel model;
    private final InferenceSession session;                 // the base model (with adapter_name_or_path)
    private final Map<LoraAdapter, InferenceSession> adapterSessions = new ConcurrentHashMap<>();

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
        List<Message> conversation = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            conversation.add(m.role() == ChatMessage.Role.USER ? Message.user(m.content()) : Message.assistant(m.content()));
        }
        return model.template().encodeGenerationPrompt(model.chatTokenizer(), conversation, system, null);
    }

    @Override
    public List<String> adapterNames() {
        return model.servedAdapters().names();
    }

    @Override
    public void loadAdapter(String name, Path dir) {
        model.servedAdapters().load(name, dir);
    }

    @Override
    public boolean unloadAdapter(String name) {
        LoraAdapter adapter = model.servedAdapters().get(name);
        boolean removed = model.servedAdapters().unload(name);
        if (adapter != null) adapterSessions.remove(adapter);
        return removed;
    }

    @Override
    public ChatResult generate(ChatRequest request, TokenListener listener) {
        return generate(null, request, listener);
    }

    @Override
    public synchronized ChatResult generate(String adapterName, ChatRequest request, TokenListener listener) {
        InferenceSession target = sessionFor(adapterName);
        int[] prompt = promptIds(request.messages(), request.system());
        if (request.cancellation().isCancelled()) return new ChatResult("", FinishReason.CANCELLED, prompt.length, 0);
        GenerationSettings settings = model.defaults().with(request.sampling());
        List<String> stops = new ArrayList<>(request.sampling().stop());
        stops.addAll(model.stopWords());
        StopStrings stopStrings = new StopStrings(stops);
        StreamingDecoder decoder = model.tokenizer().streamingDecoder(model.skipSpecialTokens());
        StringBuilder text = new StringBuilder();
        Generator.Outcome outcome = Generator.generate(target, prompt, settings, model.stopIds(), token -> {
            if (request.cancellation().isCancelled()) return FinishReason.CANCELLED;
            String safe = stopStrings.accept(decoder.next(token));
            emit(safe, text, listener);
            if (stopStrings.matched()) return FinishReason.STOP;
            return request.cancellation().isCancelled() ? FinishReason.CANCELLED : null;
        });
        if (outcome.reason() != FinishReason.CANCELLED && !stopStrings.matched()) {
            emit(stopStrings.accept(decoder.finish()), text, listener);
            if (!stopStrings.matched()) emit(stopStrings.flush(), text, listener);
        }
        return new ChatResult(text.toString(), outcome.reason(), outcome.promptTokens(), outcome.tokens().length);
    }

    /** The session of the base model (null) or of the served adapter of that name. */
    private InferenceSession sessionFor(String adapterName) {
        if (adapterName == null) return session;
        LoraAdapter adapter = model.servedAdapters().get(adapterName);
        if (adapter == null) {
            throw new UnknownModelException(adapterName, "The model '" + adapterName + "' does not exist: no adapter of that name is served"
                    + " (served: " + adapterNames() + ")");
        }
        return adapterSessions.computeIfAbsent(adapter, a -> new InferenceSession(model.model(), a));
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
