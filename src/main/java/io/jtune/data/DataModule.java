package io.jtune.data;

import io.jtune.data.template.ChatTokenizer;
import io.jtune.data.template.Template;
import java.util.List;
import java.util.Map;

/**
 * What the data path hands the trainer: the tokenized train split, the evaluation splits
 * ("validation" from val_size or eval_dataset), the template and tokenizer they were made with,
 * and what was skipped on the way (empty when loaded from a cache).
 */
public record DataModule(
        String stage,
        List<TokenizedExample> train,
        Map<String, List<TokenizedExample>> eval,
        Template template,
        ChatTokenizer tokenizer,
        SkipReport skips,
        String loadedFrom) {}
