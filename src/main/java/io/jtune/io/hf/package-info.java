/**
 * Hugging Face model directories, and the result files the HF Trainer writes.
 *
 * <ul>
 *   <li>{@link io.jtune.io.hf.HfModelDirectory#open}: config.json -> {@link io.jtune.model.arch.ModelConfig}
 *       ({@link io.jtune.io.hf.HfConfigReader}), generation_config.json -> {@link io.jtune.io.hf.GenerationConfig},
 *       and the weights checked against the tensors the model family declares
 *       ({@link io.jtune.model.arch.ModelFamily#checkpointTensors}); weights by HF name as zero-copy matrices.</li>
 *   <li>{@link io.jtune.io.hf.HfModelWriter#save}: a directory transformers can load (sharded safetensors,
 *       config.json written back faithfully, generation_config.json, tokenizer files).</li>
 *   <li>{@link io.jtune.io.hf.MetricsFiles}: {split}_results.json and all_results.json as save_metrics writes them.</li>
 *   <li>Problems are {@link io.jtune.io.hf.HfModelException}s naming the file and the key or tensor.</li>
 * </ul>
 */
package io.jtune.io.hf;
