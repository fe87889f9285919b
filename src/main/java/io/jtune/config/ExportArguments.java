package io.jtune.config;

/**
 * Export settings.
 *
 * @param exportDir    where to write the merged model (null when unset)
 * @param exportSizeGb shard size of the safetensors, in GB
 * @param exportGguf   the GGUF type to write as well (f16, bf16, q8_0), or null for none
 * @param exportGgufAdapter write the LoRA adapter unmerged as a GGUF adapter (with the base as GGUF)
 */
public record ExportArguments(String exportDir, int exportSizeGb, String exportGguf, boolean exportGgufAdapter) {
    static ExportArguments from(JtuneConfig c) {
        return new ExportArguments(c.string("export_dir"), c.integer("export_size"), c.string("export_gguf"),
                c.bool("export_gguf_adapter"));
    }

    /** Shard size in bytes as transformers' save_pretrained reads "5GB" (10^9 bytes). */
    public long exportShardBytes() {
        return exportSizeGb * 1_000_000_000L;
    }
}
