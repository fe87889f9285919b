package io.jtune.model;

/**
 * A trainable tensor's place in the model's flat fp32 arrays ({@link CausalLM#parameterValues()},
 * {@link CausalLM#gradients()}): elements [offset, offset + rows·cols).
 *
 * @param name HF name for full/freeze ("model.layers.0.mlp.up_proj.weight"), PEFT's saved name for
 *             LoRA ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
 */
public record TrainableParameter(String name, int rows, int cols, int offset) {
    public int size() {
        return rows * cols;
    }

    /** 1-D in the checkpoint (a norm weight, a bias or DoRA's magnitude). */
    public boolean isVector() {
        return name.endsWith(".bias") || name.contains("norm") || name.endsWith(".lora_magnitude_vector");
    }
}
