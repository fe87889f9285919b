package io.jtune.config;

/** LLaMA-Factory's DataArguments (hparams/data_args.py). */
final class DataKeys extends KeyTable {
    DataKeys() {
        super(Group.DATA);
        str("template", null, "Chat template that turns conversations into prompt and response tokens (e.g. qwen, llama3, alpaca); "
                + "unset, chat, api and prediction render the model's own Jinja chat template.");
        list("dataset", null, "Dataset name(s) from dataset_info.json to train on; commas separate several.");
        list("eval_dataset", null, "Dataset name(s) to evaluate on; commas separate several.");
        str("dataset_dir", "data", "Folder that holds dataset_info.json and the data files.");
        str("media_dir", null, "Folder of images, videos or audio (defaults to dataset_dir).").ignored(TEXT_ONLY);
        integer("cutoff_len", 2048, "Maximum length in tokens of a tokenized example (prompt + response).").atLeast(1);
        bool("train_on_prompt", false, "Compute the loss on the prompt tokens too (SFT).");
        bool("mask_history", false, "Train on the last turn only, masking earlier turns (SFT).");
        bool("streaming", false, "Stream the dataset instead of loading it.").unsupported("dataset streaming is not implemented; datasets are loaded whole");
        integer("buffer_size", 16384, "Shuffle buffer size in streaming mode.").ignored("only used with streaming, which jtune refuses");
        choice("mix_strategy", "concat", "How several datasets are mixed: concatenated or interleaved (under-, over-sampling, or each example once).",
                "concat", "interleave_under", "interleave_over", "interleave_once");
        list("interleave_probs", null, "Sampling probabilities of the datasets when interleaving; commas separate them.");
        bool("overwrite_cache", false, "Rebuild the cached tokenized datasets.");
        integer("preprocessing_batch_size", 1000, "Examples per group in preprocessing.").atLeast(1)
                .ignored("a batching detail of the Python datasets library; the tokenized examples are the same");
        integer("preprocessing_num_workers", null, "Processes used for preprocessing.").atLeast(1)
                .ignored("parallelism only; the tokenized examples are the same");
        integer("max_samples", null, "Keep at most this many examples of each dataset (for debugging).").atLeast(1);
        integer("eval_num_beams", null, "Beams for generation in evaluation.").unsupported("beam search is not implemented");
        bool("ignore_pad_token_for_loss", true, "Leave padding out of the loss.").unsupported("jtune always leaves padding out of the loss");
        real("val_size", 0.0, "Validation split taken from the training data: a count (>= 1) or a fraction in [0, 1).").atLeast(0);
        bool("eval_on_each_dataset", false, "Evaluate each eval dataset separately.").unsupported("per-dataset evaluation is not implemented; the eval datasets are evaluated together");
        bool("packing", null, "Pack several examples into each sequence (default: on for stage pt, off otherwise).");
        bool("neat_packing", false, "Pack without attention across the packed examples (implies packing).");
        str("tool_format", null, "Format of tool (function) calls in the template (default, qwen, llama3, mistral, glm4); "
                + "with the model's own chat template, overrides the format recognised from it.");
        str("default_system", null, "Replace the template's default system message.");
        bool("enable_thinking", true, "Enable the thinking mode of reasoning models (e.g. qwen3).");
        bool("preserve_thinking", false, "Keep the thinking content of earlier turns.").unsupported("keeping earlier turns' thinking is not implemented");
        str("tokenized_path", null, "Where to save the tokenized datasets, or load them from when the folder exists.");
        bool("data_shared_file_system", false, "Datasets live on a file system shared by several nodes.").ignored(SINGLE_PROCESS);
    }
}
