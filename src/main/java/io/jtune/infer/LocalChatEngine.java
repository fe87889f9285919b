package io.jtune.infer;

import io.jtune.data.template.ToolStyle;
import io.jtune.model.LoraAdapter;
import io.jtune.tokenizer.StreamingDecoder;
import java.nio.file.Path;
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
 * <p>Requests from any number of threads are decoded together by one {@link ContinuousBatcher}
 * (continuous batching over the base model, each request with its own adapter or none); each caller
 * reads its own tokens, decodes and checks them on its own thread. A chat's next turn reuses the
 * cache of the previous one (its prompt starts with the previous prompt and reply), so only the new
 * tokens are prefilled.
 */
public final class LocalChatEngine implements ChatEngine, AutoCloseable {
    /** Sequences decoded together by default (the API sets API_MAX_BATCH). */
    public static final int DEFAULT_MAX_BATCH = 8;
    /** Prompt tokens prefilled per step beside the running sequences' tokens: bounds how long a new prompt delays them. */
    public static final int PREFILL_TOKENS_PER_STEP = 128;

    private final ChatModel model;
    private final ContinuousBatcher batcher;
    private volatile boolean adapterEnabled = true;

    public LocalChatEngine(ChatModel model) {
        this(model, DEFAULT_MAX_BATCH);
    }

    /** An engine decoding up to {@code maxBatch} requests together. */
    public LocalChatEngine(ChatModel model, int maxBatch) {
        this.model = model;
        this.batcher = new ContinuousBatcher(model.model(), maxBatch, PREFILL_TOKENS_PER_STEP);
    }

    @Override
    public String modelName() {
        return model.name();
    }

    public ChatModel model() {
        return model;
    }

    /** Turns the configured LoRA adapter (adapter_name_or_path) on or off for requests of the base model (off = the bare base). */
    public void setAdapterEnabled(boolean enabled) {
        adapterEnabled = enabled;
    }

    /** The prompt ids LLaMA-Factory's chat would feed the model for this conversation. */
    public int[] promptIds(List<ChatMessage> messages, String system) {
        return model.format().prompt(new ChatRequest(messages, system, SamplingParams.DEFAULTS, new Cancellation()));
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
        return model.servedAdapters().unload(name); // generations under way keep the adapter they started with
    }

    @Override
    public int maxConcurrency() {
        return batcher.maxBatch();
    }

    @Override
    public int runningGenerations() {
        return batcher.running();
    }

    @Override
    public ChatResult generate(ChatRequest request, TokenListener listener) {
        return generate(null, request, listener);
    }

    @Override
    public ChatResult generate(String adapterName, ChatRequest request, TokenListener listener) {
        LoraAdapter adapter = adapterFor(adapterName);
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
        BatchedGeneration generation = batcher.submit(prompt, adapter, settings, model.stopIds());
        FinishReason reason = null;
        int tokens = 0;
        try {
            for (int token; reason == null && (token = generation.next()) >= 0; ) {
                tokens++;
                listener.onToken();
                if (request.cancellation().isCancelled()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                if (reply.accept(decoder.next(token))) reason = FinishReason.STOP;
                else if (request.cancellation().isCancelled()) reason = FinishReason.CANCELLED;
            }
            if (reason == null) {
                reason = generation.end().reason();
                tokens = generation.end().tokens().length; // with the stop id that ended it, as usage counts it
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reason = FinishReason.CANCELLED;
        } finally {
            generation.stop(); // leaves the batch at the next step (a no-op once it has ended)
        }
        String tail = reason == FinishReason.CANCELLED ? "" : decoder.finish();
        return reply.finish(tail, reason, prompt.length, tokens);
    }

    /** The adapter of the base model's requests (adapter_name_or_path, unless switched off) or of the served adapter of that name. */
    private LoraAdapter adapterFor(String adapterName) {
        if (adapterName == null) return adapterEnabled ? model.adapter() : null;
        LoraAdapter adapter = model.servedAdapters().get(adapterName);
        if (adapter == null) {
            throw new UnknownModelException(adapterName, "The model '" + adapterName + "' does not exist: no adapter of that name is served"
                    + " (served: " + adapterNames() + ")");
        }
        return adapter;
    }

    @Override
    public void close() {
        batcher.close();
        model.close();
    }
}
