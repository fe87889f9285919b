package io.jtune.config;

/** Export settings: where to write the merged model and the shard size (GB). */
public record ExportArguments(String exportDir, int exportSizeGb) {
    static ExportArguments from(JtuneConfig c) {
        return new ExportArguments(c.string("export_dir"), c.integer("export_size"));
    }

    /** Shard size in bytes as transformers' save_pretrained reads "5GB" (10^9 bytes). */
    public long exportShardBytes() {
        return exportSizeGb * 1_000_000_000L;
    }
}
