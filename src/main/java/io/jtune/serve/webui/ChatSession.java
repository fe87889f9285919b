package io.jtune.serve.webui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtune.JtuneException;
import io.jtune.config.ConfigLoader;
import io.jtune.config.JtuneConfig;
import io.jtune.config.ModelArguments;
import io.jtune.infer.ChatModel;
import io.jtune.infer.ChatRequest;
import io.jtune.infer.ChatResult;
import io.jtune.infer.LocalChatEngine;
import io.jtune.infer.ServedAdapters;
import io.jtune.infer.TokenListener;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Chat tab's model: at most one base model loaded at a time, with any number of LoRA adapters
 * served over it (the one the top bar names, loaded with the model, and those added later), as
 * {@code jtune api} serves lora_modules. Each message names the adapter that answers it, or none for
 * the base model, so that the same message can be put to the base and to an adapter side by side.
 *
 * <p>Replies take the read lock and run concurrently (the engine decodes them in one batch);
 * loading and unloading the model take the write lock, so a reply never runs on a model being closed.
 */
public final class ChatSession implements AutoCloseable {
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private LocalChatEngine engine;
    private String modelPath;
    /** The adapter loaded with the model (the top bar's), answering messages that name none; null for the base. */
    private String defaultAdapter;

    /**
     * Loads the model the config names, replacing the one loaded before; its adapter_name_or_path
     * becomes the first served adapter, named after its folder.
     */
    public void load(ConfigForm.Checked checked) {
        JtuneConfig config = checked.config();
        List<String> adapters = config.model().adapterNameOrPath();
        if (adapters.size() > 1) {
            // jtune chat applies several in order (all but the last merged); the Chat tab serves each adapter on its own
            // over the bare base, so that each can be compared with the base
            throw FieldErrors.of("adapter_name_or_path", "the Chat tab serves each adapter on its own over the base model: give one "
                    + "here and add the others under Served adapters (or merge " + adapters.subList(0, adapters.size() - 1)
                    + " into the base with the Export tab and load that)");
        }
        Map<String, Object> baseValues = new LinkedHashMap<>(checked.allValues());
        baseValues.remove("adapter_name_or_path");
        ChatModel model = ChatModel.load(ConfigLoader.fromMap("form", baseValues, List.of()));
        LocalChatEngine next = new LocalChatEngine(model);
        String first = null;
        if (!adapters.isEmpty()) {
            Path dir = Path.of(adapters.get(0));
            first = nameOf(dir);
            try {
                next.loadAdapter(first, dir);
            } catch (JtuneException e) {
                next.close();
                throw FieldErrors.of("adapter_name_or_path", e.getMessage());
            }
        }
        lock.writeLock().lock();
        try {
            closeEngine();
            engine = next;
            modelPath = config.model().modelNameOrPath();
            defaultAdapter = first;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** An adapter's name from its folder: the folder's name, with what adapter names may not hold replaced by '_'. */
    static String nameOf(Path dir) {
        Path file = dir.getFileName();
        String name = (file == null ? "adapter" : file.toString()).replaceAll("[^A-Za-z0-9._:-]", "_");
        return ModelArguments.isAdapterName(name) ? name : "adapter_" + name;
    }

    public void unload() {
        lock.writeLock().lock();
        try {
            closeEngine();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void closeEngine() {
        if (engine != null) engine.close();
        engine = null;
        modelPath = null;
        defaultAdapter = null;
    }

    /**
     * Serves the PEFT adapter in {@code dir} over the loaded base as {@code name} (the folder's name
     * when blank); a bad adapter is refused with the served set unchanged.
     */
    public void addAdapter(String name, Path dir) {
        lock.readLock().lock();
        try {
            LocalChatEngine e = loaded();
            String n = name == null || name.isBlank() ? nameOf(dir) : name.trim();
            if (!ModelArguments.isAdapterName(n)) {
                throw FieldErrors.of("adapter_name", "'" + n + "' may hold only letters, digits, '.', '_', ':' and '-', starting with a letter or digit");
            }
            if (e.adapterNames().contains(n)) {
                throw FieldErrors.of("adapter_name", "an adapter named '" + n + "' is served already; give this one another name");
            }
            try {
                e.loadAdapter(n, dir);
            } catch (JtuneException bad) {
                throw FieldErrors.of("adapter_path", bad.getMessage());
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Stops serving an adapter; replies under way finish with it. */
    public void removeAdapter(String name) {
        lock.readLock().lock();
        try {
            if (!loaded().unloadAdapter(name)) throw FieldErrors.of("adapter", "no adapter named '" + name + "' is served");
            synchronized (this) {
                if (name.equals(defaultAdapter)) defaultAdapter = null;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Generates one reply, streaming its text to {@code listener}.
     *
     * @param adapter the served adapter that answers; "" for the base model; null for the adapter
     *                loaded with the model (the base model when there is none)
     */
    public ChatResult generate(String adapter, ChatRequest request, TokenListener listener) {
        lock.readLock().lock();
        try {
            LocalChatEngine e = loaded();
            String name = adapter == null ? defaultAdapter() : adapter.isEmpty() ? null : adapter;
            return e.generate(name, request, listener);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Refuses, next to the chat's adapter choice, a message for an adapter that is not served. */
    public void checkAdapter(String adapter) {
        lock.readLock().lock();
        try {
            LocalChatEngine e = loaded();
            if (adapter != null && !adapter.isEmpty() && !e.adapterNames().contains(adapter)) {
                throw FieldErrors.of("adapter", "no adapter named '" + adapter + "' is served (served: " + e.adapterNames() + ")");
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private LocalChatEngine loaded() {
        if (engine == null) throw new JtuneException("no model is loaded: load one first");
        return engine;
    }

    private synchronized String defaultAdapter() {
        return defaultAdapter;
    }

    public ObjectNode toJson() {
        lock.readLock().lock();
        try {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("loaded", engine != null);
            if (engine != null) {
                n.put("model_name", engine.modelName());
                n.put("model_name_or_path", modelPath);
                String first = defaultAdapter();
                if (first != null) n.put("default_adapter", first);
                ArrayNode list = n.putArray("adapters");
                for (ServedAdapters.Served s : engine.model().servedAdapters().all()) {
                    list.addObject().put("name", s.name()).put("path", s.path().toString());
                }
            }
            return n;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        unload();
    }
}
