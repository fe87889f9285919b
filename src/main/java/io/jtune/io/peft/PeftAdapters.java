package io.jtune.io.peft;

import io.jtune.JtuneException;
import io.jtune.model.CausalLM;
import io.jtune.model.FinetuneSpec;
import io.jtune.model.LoraAdapter;
import io.jtune.model.ParameterSet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * PEFT adapter folders (adapter_config.json + adapter_model.safetensors) to and from
 * {@link LoraAdapter} objects over a loaded base model. Loading attaches a new adapter to the base:
 * the base is not read or checked again, so any number of adapters can share it.
 */
public final class PeftAdapters {
    private PeftAdapters() {}

    /**
     * Reads the adapter in {@code dir} over {@code base}. A config that does not fit the base (a
     * target module it lacks) or weights of the wrong shape or names are errors that name the folder.
     */
    public static LoraAdapter load(CausalLM base, String name, Path dir) {
        LoraAdapterConfig config = LoraAdapterConfig.read(dir);
        LoraAdapter adapter;
        try {
            adapter = LoraAdapter.attach(base, name, spec(config), 0);
        } catch (JtuneException e) {
            throw new JtuneException(dir.resolve(LoraAdapterConfig.FILE) + " does not fit the base model: " + e.getMessage());
        }
        readWeights(adapter.parameters(), dir.resolve(AdapterWeights.ADAPTER_FILE));
        return adapter;
    }

    /**
     * The engine's LoRA settings for an adapter_config.json (dropout off: it only matters in training).
     * A PiSSA adapter (init_lora_weights pissa...) is attached with its PiSSA initialisation, as PEFT
     * does when it loads one: that turns the base weights into the residual the adapter was trained
     * over, before the trained A and B are read over the initial ones.
     */
    public static FinetuneSpec.Lora spec(LoraAdapterConfig c) {
        return new FinetuneSpec.Lora(c.r(), c.loraAlpha(), 0.0, c.targetModules(), c.useRslora(), c.modulesToSave(),
                c.useDora(), FinetuneSpec.Pissa.fromInitLoraWeights(c.initLoraWeights()));
    }

    /** Writes every tensor of the set, fp32, under its name (PEFT's adapter file, or a checkpoint's trainable tensors). */
    public static void writeWeights(ParameterSet set, Path file) throws IOException {
        AdapterWeights.write(file, slots(set), set.values());
    }

    /** Reads every tensor of the set from the file, which must hold exactly those tensors with their shapes. */
    public static void readWeights(ParameterSet set, Path file) {
        AdapterWeights.read(file, slots(set), set.values());
    }

    private static List<AdapterWeights.Slot> slots(ParameterSet set) {
        return set.describe().stream()
                .map(p -> new AdapterWeights.Slot(p.name(), p.rows(), p.cols(), p.offset(), p.isVector()))
                .toList();
    }
}
