package io.jtune.train.checkpoint;

import io.jtune.io.peft.PeftAdapters;
import io.jtune.model.CausalLM;
import io.jtune.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Saves the model's trainable tensors (its LoRA adapter's, or its own) under their names, in fp32, to
 * one safetensors file of a checkpoint — for LoRA that file is PEFT's adapter_model.safetensors. fp32
 * keeps a resume exact.
 */
public final class FlatWeightsCheckpoint implements Trainer.CheckpointWeights {
    private final CausalLM model;
    private final String fileName;

    public FlatWeightsCheckpoint(CausalLM model, String fileName) {
        this.model = model;
        this.fileName = fileName;
    }

    @Override
    public void save(Path dir) throws IOException {
        PeftAdapters.writeWeights(model.trainable(), dir.resolve(fileName));
    }

    @Override
    public void load(Path dir) {
        PeftAdapters.readWeights(model.trainable(), dir.resolve(fileName));
    }
}
