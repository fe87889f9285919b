package io.jtune.train.checkpoint;

import io.jtune.io.peft.AdapterWeights;
import io.jtune.model.CausalLM;
import io.jtune.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Saves the model's trainable tensors under their names, in fp32, to one safetensors file of a
 * checkpoint — for LoRA that file is PEFT's adapter_model.safetensors. fp32 keeps a resume exact.
 */
public final class FlatWeightsCheckpoint implements Trainer.CheckpointWeights {
    private final CausalLM model;
    private final String fileName;

    public FlatWeightsCheckpoint(CausalLM model, String fileName) {
        this.model = model;
        this.fileName = fileName;
    }

    public static List<AdapterWeights.Slot> slots(CausalLM model) {
        return model.trainableParameters().stream()
                .map(p -> new AdapterWeights.Slot(p.name(), p.rows(), p.cols(), p.offset(), p.isVector()))
                .toList();
    }

    @Override
    public void save(Path dir) throws IOException {
        AdapterWeights.write(dir.resolve(fileName), slots(model), model.parameterValues());
    }

    @Override
    public void load(Path dir) {
        AdapterWeights.read(dir.resolve(fileName), slots(model), model.parameterValues());
    }

}
