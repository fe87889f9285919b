package io.jtune.config;

/** LLaMA-Factory's ExportArguments (part of ModelArguments): merging an adapter and writing a model directory. */
final class ExportKeys extends KeyTable {
    private static final String QUANT_ONLY = "only used with export_quantization_bit, which jtune refuses";

    ExportKeys() {
        super(Group.EXPORT);
        str("export_dir", null, "Folder to write the exported (merged) model to.");
        integer("export_size", 5, "Shard size of the exported safetensors, in GB.").atLeast(1);
        choice("export_device", "cpu", "Device used for exporting.", "cpu", "auto").ignored("jtune exports on the CPU; auto only changes speed");
        choice("export_gguf", null, "Also write a GGUF file (llama.cpp, Ollama) of the exported model to export_dir, "
                + "with an Ollama Modelfile beside it: f16, bf16 or q8_0.", "f16", "bf16", "q8_0").jtuneOnly();
        bool("export_gguf_adapter", false, "Write the LoRA adapter (adapter_name_or_path) unmerged as a llama.cpp GGUF adapter "
                + "(--lora; Ollama's ADAPTER), the base model as GGUF of type export_gguf (f16 when unset), and an Ollama Modelfile "
                + "with FROM the base and ADAPTER the adapter, to export_dir.").jtuneOnly();
        integer("export_quantization_bit", null, "Bits to quantize the exported model to (GPTQ).").unsupported("quantized export (GPTQ) is not implemented; merge adapters first, quantize after (use export_gguf: q8_0 for an 8-bit llama.cpp file)");
        str("export_quantization_dataset", null, "Calibration dataset for quantized export.").ignored(QUANT_ONLY);
        integer("export_quantization_nsamples", 128, "Calibration samples for quantized export.").ignored(QUANT_ONLY);
        integer("export_quantization_maxlen", 1024, "Calibration length for quantized export.").ignored(QUANT_ONLY);
        bool("export_legacy_format", false, "Write .bin files instead of safetensors.").unsupported("jtune writes safetensors only");
        str("export_hub_model_id", null, "Hub repository to push the export to.").unsupported(HUB);
    }
}
