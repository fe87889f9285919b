package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.config.JtuneConfig;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.TokenListener;

/**
 * The Chat tab's model: at most one loaded at a time, with its adapter switchable on and off.
 * Loading, unloading and generating take one lock, so a reply never runs on a model being closed.
 */
public final class ChatSession implements AutoCloseable {
    private LocalChatEngine engine;
    private boolean hasAdapter;
    private boolean adapterEnabled;
    private String modelPath;
    private String adapterPath;

    /** Loads the model the config names, replacing the one loaded before. */
    public synchronized void load(JtuneConfig config) {
        ChatModel model = ChatModel.load(config);
        unload();
        engine = new LocalChatEngine(model);
        modelPath = config.model().modelNameOrPath();
        hasAdapter = !config.model().adapterNameOrPath().isEmpty();
        adapterPath = hasAdapter ? config.model().adapterNameOrPath().get(0) : null;
        adapterEnabled = hasAdapter;
    }

    public synchronized void unload() {
        if (engine != null) engine.close();
        engine = null;
        hasAdapter = false;
        adapterEnabled = false;
        modelPath = null;
        adapterPath = null;
    }

    /** Turns the loaded adapter on or off: off answers with the base model, for comparison. */
    public synchronized void setAdapterEnabled(boolean enabled) {
        if (engine == null) throw new JtuneException("no model is loaded: load one first");
        if (!hasAdapter && enabled) throw new JtuneException("the loaded model has no adapter; load one with an adapter folder");
        engine.setAdapterEnabled(enabled);
        adapterEnabled = enabled;
    }

    /** Generates one reply, streaming its text to {@code listener}. */
    public synchronized ChatResult generate(ChatRequest request, TokenListener listener) {
        if (engine == null) throw new JtuneException("no model is loaded: load one first");
        return engine.generate(request, listener);
    }

    public synchronized ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("loaded", engine != null);
        if (engine != null) {
            n.put("model_name", engine.modelName());
            n.put("model_name_or_path", modelPath);
            if (adapterPath != null) n.put("adapter_name_or_path", adapterPath);
        }
        n.put("has_adapter", hasAdapter);
        n.put("adapter_enabled", adapterEnabled);
        return n;
    }

    @Override
    public synchronized void close() {
        unload();
    }
}
