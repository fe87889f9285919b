package io.jtune.cli;

import io.jtune.config.ConfigLoader;
import io.jtune.export.ModelExport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jtune export CONFIG [key=value ...]}: LLaMA-Factory's {@code llamafactory-cli export}. */
@Command(name = "export", description = {"Merge a LoRA adapter into its base model and save a Hugging Face model folder",
        "(sharded safetensors, config, tokenizer with chat template, Ollama Modelfile) to export_dir;",
        "export_gguf: f16 | bf16 | q8_0 also writes a GGUF file for llama.cpp / Ollama.",
        "Keys: model_name_or_path, adapter_name_or_path, template, export_dir, export_size, export_gguf.",
        "Overrides after the file: key=value, e.g. export_dir=out/merged."})
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "YAML or JSON file with LLaMA-Factory keys")
    Path config;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE", description = "overrides")
    List<String> overrides = List.of();

    @Override
    public Integer call() throws Exception {
        new ModelExport(ConfigLoader.load(config, overrides), System.out).run();
        return 0;
    }
}
