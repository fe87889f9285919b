package io.jtune.data.process;

import io.jtune.data.AlignedExample;
import io.jtune.data.DataOptions;
import io.jtune.data.SkipReport;
import io.jtune.data.TokenizedExample;
import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import io.jtune.util.IntList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pretraining (LLaMA-Factory's PretrainDatasetProcessor): each text gets the EOS token appended.
 * With packing (the default for pt) the batch's texts are concatenated and cut into blocks of the
 * cutoff length, dropping the incomplete tail; each block starts with BOS when the tokenizer adds
 * one. Without packing every text is truncated to the cutoff length on its own.
 */
final class PretrainProcessor implements DatasetProcessor {
    private final DataOptions options;
    private final ChatTokenizer tok;
    private final String eosToken;

    PretrainProcessor(DataOptions options, Template template, ChatTokenizer tok) {
        this.options = options;
        this.tok = tok;
        // As LLaMA-Factory: llama3's template makes <|eot_id|> the EOS, but documents end with <|end_of_text|>.
        this.eosToken = "llama3".equals(template.name()) ? "<|end_of_text|>" : tok.eosToken();
    }

    @Override
    public List<TokenizedExample> process(List<AlignedExample> batch, SkipReport skips) {
        List<String> texts = new ArrayList<>();
        for (AlignedExample ex : batch) {
            if (ex.prompt().isEmpty()) {
                skips.skip("no text", ex.origin(), "the text column is missing");
                continue;
            }
            texts.add(ex.prompt().getFirst().content() + eosToken);
        }
        int cutoff = options.effectiveCutoffLen();
        List<TokenizedExample> out = new ArrayList<>();
        if (!options.effectivePacking()) {
            for (String text : texts) {
                String withBos = tok.addsBos() ? tok.bosToken() + text : text;
                int[] ids = tok.encode(withBos);
                out.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, Arrays.copyOf(ids, Math.min(ids.length, cutoff))));
            }
            return out;
        }
        IntList all = new IntList();
        for (String text : texts) all.addAll(tok.encode(text));
        int[] ids = all.toArray();
        int usable = ids.length / cutoff * cutoff;
        for (int start = 0; start < usable; start += cutoff) {
            int[] block = Arrays.copyOfRange(ids, start, start + cutoff);
            if (tok.addsBos()) block[0] = tok.bosId().getAsInt();
            out.add(TokenizedExample.of(TokenizedExample.INPUT_IDS, block));
        }
        return out;
    }
}
