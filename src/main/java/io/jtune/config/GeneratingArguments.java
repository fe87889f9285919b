package io.jtune.config;

/** Decoding settings (LLaMA-Factory's GeneratingArguments). */
public record GeneratingArguments(
        boolean doSample,
        double temperature,
        double topP,
        int topK,
        int maxLength,
        int maxNewTokens,
        double repetitionPenalty,
        boolean skipSpecialTokens) {

    static GeneratingArguments from(JtuneConfig c) {
        return new GeneratingArguments(c.bool("do_sample"), c.real("temperature"), c.real("top_p"), c.integer("top_k"),
                c.integer("max_length"), c.integer("max_new_tokens"), c.real("repetition_penalty"), c.bool("skip_special_tokens"));
    }

    /** As LLaMA-Factory's to_dict: max_new_tokens wins when > 0, else max_length bounds prompt + output. */
    public boolean limitsNewTokens() {
        return maxNewTokens > 0;
    }
}
