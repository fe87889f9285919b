package io.jtune.infer;

import io.jtune.JtuneException;
import io.jtune.config.ModelArguments;
import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.CausalLM;
import io.jtune.model.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRA adapters served by name over one base model (lora_modules, and those loaded while the
 * server runs). Each is a {@link LoraAdapter} over the same {@link CausalLM}: the base is loaded and
 * checked once, an adapter adds only its own factors. Loading checks the adapter completely before
 * it becomes visible, so a bad one leaves the served set as it was; the set is replaced as a whole
 * on each change, so readers never lock and a generation keeps the adapter it started with even if
 * it is unloaded meanwhile.
 */
public final class ServedAdapters {
    /** One served adapter and the folder it came from. */
    public record Served(String name, Path path, LoraAdapter adapter) {}

    private final CausalLM base;
    private volatile Map<String, Served> served = Map.of();

    public ServedAdapters(CausalLM base) {
        this.base = base;
    }

    /** The adapters' names, in the order they were loaded. */
    public List<String> names() {
        return List.copyOf(served.keySet());
    }

    /** The adapters, in the order they were loaded. */
    public List<Served> all() {
        return List.copyOf(served.values());
    }

    /** The adapter of this name, or null when none is served under it. */
    public LoraAdapter get(String name) {
        Served s = served.get(name);
        return s == null ? null : s.adapter();
    }

    public boolean contains(String name) {
        return served.containsKey(name);
    }

    /**
     * Reads the PEFT adapter in {@code dir} over the base and serves it as {@code name}.
     *
     * @throws JtuneException naming the adapter and what is wrong: a name already served, a missing
     *     folder or file, a config or tensors that do not fit the base, an unreadable safetensors file
     */
    public synchronized LoraAdapter load(String name, Path dir) {
        if (!ModelArguments.isAdapterName(name)) {
            throw new JtuneException("adapter name '" + name + "' may hold only letters, digits, '.', '_', ':' and '-', starting with a letter or digit");
        }
        if (served.containsKey(name)) {
            throw new JtuneException("The lora adapter '" + name + "' has already been loaded; unload it first to replace it.");
        }
        if (!Files.isDirectory(dir)) {
            throw new JtuneException("adapter '" + name + "': " + dir + " is not a folder (expected a PEFT adapter folder with adapter_config.json"
                    + " and adapter_model.safetensors)");
        }
        LoraAdapter adapter;
        try {
            adapter = PeftAdapters.load(base, name, dir);
        } catch (JtuneException e) {
            throw new JtuneException("adapter '" + name + "' cannot be loaded: " + e.getMessage(), e);
        } catch (RuntimeException e) { // a damaged file can fail deep in the reader: still the adapter's fault, not the server's
            throw new JtuneException("adapter '" + name + "' cannot be loaded from " + dir + ": " + e, e);
        }
        Map<String, Served> next = new LinkedHashMap<>(served);
        next.put(name, new Served(name, dir, adapter));
        served = java.util.Collections.unmodifiableMap(next);
        return adapter;
    }

    /** Stops serving {@code name}; returns false when no adapter has that name. */
    public synchronized boolean unload(String name) {
        if (!served.containsKey(name)) return false;
        Map<String, Served> next = new LinkedHashMap<>(served);
        next.remove(name);
        served = java.util.Collections.unmodifiableMap(next);
        return true;
    }
}
