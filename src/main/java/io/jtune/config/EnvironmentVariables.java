package io.jtune.config;

import java.util.List;

/**
 * The environment variables LLaMA-Factory reads (llamafactory-cli, its API server and web UI), with
 * what jtune does with each. They are documented beside the keys so that a user moving a launch
 * script over knows which ones still matter; jtune's config loader itself reads none of them.
 */
public final class EnvironmentVariables {
    private EnvironmentVariables() {}

    /**
     * @param name         the variable
     * @param defaultValue LLaMA-Factory's default ("" when unset)
     * @param meaning      what it does in LLaMA-Factory
     * @param jtune        what jtune does with it
     */
    public record EnvVar(String name, String defaultValue, String meaning, String jtune) {}

    private static final String SINGLE = "ignored: jtune trains in one process on one machine";

    public static final List<EnvVar> ALL = List.of(
            new EnvVar("API_HOST", "0.0.0.0", "Address the OpenAI-style API server listens on.", "for `jtune api`, which takes the same name"),
            new EnvVar("API_PORT", "8000", "Port of the API server.", "for `jtune api`, which takes the same name"),
            new EnvVar("API_KEY", "", "Bearer token the API server requires.", "for `jtune api`, which takes the same name"),
            new EnvVar("API_MODEL_NAME", "gpt-3.5-turbo", "Model name the API server reports.", "for `jtune api`, which takes the same name"),
            new EnvVar("API_VERBOSE", "1", "Log API requests.", "for `jtune api`, which takes the same name"),
            new EnvVar("ALLOW_EXTRA_ARGS", "", "Ignore unknown config keys instead of failing.",
                    "not supported: an unknown key is always an error with a suggestion, never silently ignored"),
            new EnvVar("FORCE_TORCHRUN", "", "Launch training through torchrun (several GPUs).", SINGLE),
            new EnvVar("NPROC_PER_NODE", "GPU count", "Processes per node for torchrun.", SINGLE),
            new EnvVar("NNODES", "1", "Nodes for torchrun.", SINGLE),
            new EnvVar("NODE_RANK", "0", "This node's rank for torchrun.", SINGLE),
            new EnvVar("MASTER_ADDR", "127.0.0.1", "Rendezvous address for torchrun.", SINGLE),
            new EnvVar("MASTER_PORT", "a free port", "Rendezvous port for torchrun.", SINGLE),
            new EnvVar("USE_RAY", "", "Train with Ray.", SINGLE),
            new EnvVar("USE_MCA", "", "Train with Megatron Core Adapter.", "not supported: Megatron is a distributed GPU backend"),
            new EnvVar("USE_MEGATRON_BRIDGE", "", "Train with Megatron Bridge.", "not supported: Megatron is a distributed GPU backend"),
            new EnvVar("USE_KT", "", "Use KTransformers.", "not supported: KTransformers is a Python/CUDA backend"),
            new EnvVar("USE_MODELSCOPE_HUB", "", "Download models and datasets from ModelScope.",
                    "not supported: jtune reads local directories (download with the Hugging Face layout first)"),
            new EnvVar("USE_OPENMIND_HUB", "", "Download models and datasets from Modelers.",
                    "not supported: jtune reads local directories (download with the Hugging Face layout first)"),
            new EnvVar("RECORD_VRAM", "", "Log peak GPU memory in trainer_log.jsonl.", "ignored: there is no GPU memory to record"),
            new EnvVar("DISABLE_VERSION_CHECK", "", "Skip the check of Python package versions.", "ignored: jtune has no Python dependencies"),
            new EnvVar("LLAMAFACTORY_VERBOSITY", "INFO", "Log level.", "ignored: log verbosity only"),
            new EnvVar("GRADIO_SERVER_NAME", "0.0.0.0", "Address of the web UI.", "for `jtune webui`"),
            new EnvVar("GRADIO_SHARE", "", "Publish the web UI through a Gradio share link.", "not supported: the web UI is served locally only"));
}
