package io.jtune.config;

/** LLaMA-Factory's GeneratingArguments (hparams/generating_args.py): decoding for chat, api and prediction. */
final class GeneratingKeys extends KeyTable {
    GeneratingKeys() {
        super(Group.GENERATING);
        bool("do_sample", true, "Sample (temperature, top_p, top_k); false = greedy decoding.");
        real("temperature", 0.95, "Sampling temperature; 0 = greedy decoding (as do_sample: false).").atLeast(0);
        real("top_p", 0.7, "Nucleus sampling: keep the smallest set of tokens whose probabilities add up to top_p.").above(0).atMost(1);
        integer("top_k", 50, "Keep only the k most probable tokens (0 = no limit).").atLeast(0);
        integer("num_beams", 1, "Beams for beam search; 1 = no beam search.").atLeast(1).unsupported("beam search is not implemented");
        integer("max_length", 1024, "Maximum length of prompt + generated tokens (used when max_new_tokens <= 0).").atLeast(1);
        integer("max_new_tokens", 1024, "Maximum number of generated tokens; wins over max_length when > 0.");
        real("repetition_penalty", 1.0, "Penalty for repeating tokens (1.0 = none).").above(0);
        real("length_penalty", 1.0, "Length penalty of beam search.").ignored("only used by beam search, which jtune refuses (num_beams)");
        bool("skip_special_tokens", true, "Leave special tokens out of the decoded text.");
    }
}
