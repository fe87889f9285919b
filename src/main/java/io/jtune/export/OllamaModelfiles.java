package io.jtune.export;

import io.jtune.JtuneException;
import io.jtune.io.gguf.OllamaModelfile;
import io.jtune.tokenizer.HfTokenizer;
import io.jtune.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes export_dir/Modelfile for Ollama from the exported tokenizer: {@code FROM .} for the
 * safetensors folder (as LLaMA-Factory writes it), or {@code FROM ./NAME.gguf} once a GGUF is written,
 * followed by {@code ADAPTER ./ADAPTER.gguf} for an unmerged GGUF LoRA adapter.
 */
final class OllamaModelfiles {
    static final String FILE = "Modelfile";

    private OllamaModelfiles() {}

    /**
     * @param tokenizer    the exported tokenizer (after the template's fixes)
     * @param ggufFileName the GGUF file in exportDir, or null for the safetensors folder itself
     * @param numCtx       the model's context length (max_position_embeddings), Ollama's num_ctx
     * @return the Modelfile, or null when the template has no Ollama form yet (then {@code warn} says so)
     */
    static Path write(Path exportDir, HfTokenizer tokenizer, String templateName, String ggufFileName, int numCtx,
                      Consumer<String> warn)
            throws IOException {
        return write(exportDir, tokenizer, templateName, ggufFileName, null, numCtx, warn);
    }

    /** As above, with {@code ADAPTER ./ADAPTER} after FROM when {@code adapterFileName} (a GGUF in exportDir) is not null. */
    static Path write(Path exportDir, HfTokenizer tokenizer, String templateName, String ggufFileName, String adapterFileName,
                      int numCtx, Consumer<String> warn)
            throws IOException {
        OllamaModelfile.ChatFormat format;
        try {
            format = OllamaModelfile.format(templateName);
        } catch (JtuneException e) {
            warn.accept(e.getMessage() + "; no Modelfile written");
            return null;
        }
        String bos = tokenizer.bosTokenId().isPresent() ? tokenizer.idToToken(tokenizer.bosTokenId().getAsInt()) : null;
        String eos = tokenizer.eosTokenId().isPresent() ? tokenizer.idToToken(tokenizer.eosTokenId().getAsInt()) : null;
        Map<String, Integer> ids = new HashMap<>();
        if (eos != null) ids.put(eos, tokenizer.eosTokenId().getAsInt());
        for (String w : format.stopWords()) tokenizer.tokenToId(w).ifPresent(id -> ids.put(w, id));
        OllamaModelfile.SpecialTokens special = new OllamaModelfile.SpecialTokens(bos, eos, ids);
        String text;
        if (ggufFileName != null) {
            text = OllamaModelfile.render(ggufFileName, adapterFileName, format, special, numCtx);
        } else {
            // render() names a file "./NAME"; Ollama imports a safetensors folder with "FROM ."
            text = OllamaModelfile.render("", format, special, numCtx).replaceFirst("(?m)^FROM \\./$", "FROM .");
        }
        Path file = exportDir.resolve(FILE);
        AtomicFiles.writeString(file, text);
        return file;
    }
}
