package io.jtune.infer;

/**
 * What a loaded model (with its optional LoRA adapter and its chat template) offers to the
 * programs that talk to it: the OpenAI-compatible server, the terminal chat and the web UI.
 *
 * <p>{@link #generate} may be called from several threads at once, up to {@link #maxConcurrency()}
 * generations (an engine that batches decodes them together); callers queue the rest.
 * An engine may serve several LoRA adapters over its base model by name ({@link #adapterNames()});
 * a request picks one, or the base model (with the configured adapter_name_or_path, if any) by null.
 */
public interface ChatEngine {

    /** The model's name for logs and banners, e.g. the base model's folder name plus the adapter's. */
    String modelName();

    /**
     * Generates the assistant's reply to {@code request}, blocking until it ends.
     *
     * <p>The contract every implementation keeps:
     * <ul>
     *   <li>{@code listener} receives the reply as it is produced, in order, already decoded. A piece
     *       never ends inside a character: bytes of an unfinished UTF-8 sequence (a byte-level BPE token
     *       can hold half a Chinese character) are held back until the character is complete.</li>
     *   <li>Text that could still become one of {@link SamplingParams#stop()}'s strings is held back
     *       until it cannot; a matched stop string and everything after it is never sent nor counted
     *       in {@link ChatResult#text()}. The template's own stop words and the eos ids end the reply
     *       the same way and are not sent either.</li>
     *   <li>{@link ChatRequest#cancellation()} is checked between tokens; once set, generation ends
     *       with {@link FinishReason#CANCELLED} without calling the listener again.</li>
     *   <li>The concatenation of all pieces equals {@link ChatResult#text()}.</li>
     *   <li>With {@link ChatRequest#tools()}, a tool call in the reply is not sent as text: it comes back in
     *       {@link ChatResult#toolCalls()} with {@link FinishReason#TOOL_CALLS}; an engine that cannot offer
     *       the tools throws {@link ToolsUnavailableException}. {@link ReplyText} implements both rules.</li>
     * </ul>
     *
     * @throws io.jtune.JtuneException when the request cannot be served as asked (for example a prompt
     *     longer than the model's context); its message is shown to the user or the API client.
     */
    ChatResult generate(ChatRequest request, TokenListener listener);

    /**
     * {@link #generate(ChatRequest, TokenListener)} with the served adapter {@code adapter}, or the
     * base model when it is null.
     *
     * @throws UnknownModelException when no adapter of that name is served
     */
    default ChatResult generate(String adapter, ChatRequest request, TokenListener listener) {
        if (adapter == null) return generate(request, listener);
        throw new UnknownModelException(adapter, "no adapter named '" + adapter + "' is served");
    }

    /** How many generations this engine runs at once (decoded together); callers queue the rest. */
    default int maxConcurrency() {
        return 1;
    }

    /** Generations running now (the batch being decoded). */
    default int runningGenerations() {
        return 0;
    }

    /** The adapters served by name (lora_modules and those loaded at run time), in loading order. */
    default java.util.List<String> adapterNames() {
        return java.util.List.of();
    }

    /**
     * Loads the PEFT adapter in {@code dir} and serves it as {@code name}; a bad adapter leaves the
     * served set unchanged.
     *
     * @throws io.jtune.JtuneException saying what is wrong with the adapter or the name
     */
    default void loadAdapter(String name, java.nio.file.Path dir) {
        throw new io.jtune.JtuneException("this engine cannot load adapters");
    }

    /** Stops serving the adapter {@code name}; false when none has that name. */
    default boolean unloadAdapter(String name) {
        return false;
    }
}
