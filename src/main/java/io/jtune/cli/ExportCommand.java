package io.jtune.cli;

import io.jtune.export.ModelExport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jtune export CONFIG [key=value ...]}: LLaMA-Factory's {@code llamafactory-cli export}. */
@Command(name = "export", description = {"Merge a LoRA adapter into its base model and save it as a Hugging Face model folder.",
        "The folder, export_dir, holds sharded safetensors, the config, the tokenizer with its chat template and an Ollama Modelfile.",
        "export_gguf: f16 | bf16 | q8_0 also writes a GGUF file for llama.cpp / Ollama.",
        "export_gguf_adapter: true writes the adapter unmerged as a GGUF LoRA adapter, the base as GGUF, and a Modelfile with FROM and ADAPTER.",
        "Keys: model_name_or_path, adapter_name_or_path, template, export_dir, export_size, export_gguf, export_gguf_adapter.",
        "Overrides after the file: key=value, e.g. export_dir=out/merged."})
final class ExportCommand implements Callable<Integer> {
    @Mixin ConfigFileArgs args;

    @Override
    public Integer call() throws Exception {
        new ModelExport(args.load(), System.out).run();
        return 0;
    }
}
