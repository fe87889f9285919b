package io.jtune.bench;

import io.jtune.infer.Sampler;
import io.jtune.model.CausalLM;
import io.jtune.model.InferenceModels;
import io.jtune.model.InferenceSession;
import io.jtune.model.arch.ModelConfig;
import io.jtune.model.RandomWeights;
import io.jtune.nn.RopeConfig;
import io.jtune.tensor.DType;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generation speed at batch 1: prompt processing (prefill) tokens/s and decode tokens/s, on the
 * Qwen2.5-0.5B architecture with random weights, bf16 or quantized (weights are what decode reads
 * every token, so their storage and size matter; their values do not). Greedy decoding through the KV cache, as chat
 * and the API run it. Each figure is the median of the timed runs after one untimed warm-up run.
 *
 * <p>{@code java ... io.jtune.bench.DecodeBench [promptTokens] [decodeTokens] [runs]}
 */
public final class DecodeBench {

    /** Medians over the runs; the raw run times are kept for the record. */
    public record Figures(String model, String weights, int promptTokens, int decodeTokens, int threads,
                          double prefillTokensPerSecond, double decodeTokensPerSecond,
                          double[] prefillSeconds, double[] decodeSeconds) {
        @Override
        public String toString() {
            return String.format("%s %s, batch 1, %d threads: prefill %d tokens %.1f tok/s; decode %d tokens %.2f tok/s (median of %d runs)",
                    model, weights, threads, promptTokens, prefillTokensPerSecond, decodeTokens, decodeTokensPerSecond, prefillSeconds.length);
        }
    }

    private DecodeBench() {}

    /** Qwen2.5-0.5B's config.json: hidden 896, 24 layers, 14 heads / 2 kv heads, vocab 151936, tied, q/k/v bias. */
    public static ModelConfig qwen25HalfB() {
        return ModelConfig.builder().modelType("qwen2").vocabSize(151936).hiddenSize(896).intermediateSize(4864)
                .numHiddenLayers(24).numAttentionHeads(14).numKeyValueHeads(2).headDim(64).maxPositionEmbeddings(32768)
                .rmsNormEps(1e-6).rope(RopeConfig.plain(1000000)).tieWordEmbeddings(true).attentionBias(true)
                .hiddenAct("silu").bosTokenId(151643).eosTokenIds(List.of(151645)).dtype(DType.BF16).build();
    }

    public static Figures measure(ModelConfig config, int promptTokens, int decodeTokens, int runs) {
        return measure(config, promptTokens, decodeTokens, runs, FrozenWeights.parse("bf16"));
    }

    /** With the frozen weights stored as {@code frozen} (bf16 as published, or quantized as quantization_bit does). */
    public static Figures measure(ModelConfig config, int promptTokens, int decodeTokens, int runs, FrozenWeights frozen) {
        CausalLM model = InferenceModels.arrangedForDecoding(InferenceModels.frozen(config, frozen.randomWeights(config, 1)));
        InferenceSession session = new InferenceSession(model);
        int[] prompt = new SplittableRandom(2).ints(promptTokens, 0, config.vocabSize()).toArray();
        run(session, prompt, Math.min(decodeTokens, 8));  // warm-up: JIT, buffers, page-in of the weights
        double[] prefill = new double[runs], decode = new double[runs];
        for (int r = 0; r < runs; r++) {
            double[] t = run(session, prompt, decodeTokens);
            prefill[r] = t[0];
            decode[r] = t[1];
        }
        return new Figures(config.modelType() + " " + config.hiddenSize() + "x" + config.numHiddenLayers(), frozen.label(),
                promptTokens, decodeTokens, io.jtune.nn.ParallelTasks.threads(),
                promptTokens / Measure.median(prefill), decodeTokens / Measure.median(decode), prefill, decode);
    }

    /** Seconds for the prefill and for decodeTokens greedy steps. */
    private static double[] run(InferenceSession session, int[] prompt, int decodeTokens) {
        session.reset();
        long t0 = System.nanoTime();
        float[] logits = session.append(prompt);
        long t1 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) logits = session.append(Sampler.argmax(logits));
        long t2 = System.nanoTime();
        return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }

    public static void main(String[] args) {
        int prompt = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int decode = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.println(measure(qwen25HalfB(), prompt, decode, runs));
    }
}
