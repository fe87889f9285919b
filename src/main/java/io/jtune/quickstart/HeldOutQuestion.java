package io.jtune.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A support question the fine-tuning never saw, with the keywords that prove an answer states the
 * shop's policy fact ("30 days" for the return window, "1小时" for the reset link's validity). The
 * quickstart asks the base and the fine-tuned model these questions and counts the answers that
 * state the fact.
 *
 * @param lang     "en" or "zh": how the keywords are matched
 * @param fact     what the keywords prove, for the report ("return window")
 * @param question the customer's message
 * @param product  the product it names, one the fine-tuning data never mentions; null when it names none
 * @param keywords every one of them must appear in the answer
 */
public record HeldOutQuestion(String lang, String fact, String question, String product, List<String> keywords) {
    /** The character a decoder puts where bytes did not form UTF-8: a broken answer, never a right one. */
    static final char REPLACEMENT = '\uFFFD';

    public HeldOutQuestion {
        if (!lang.equals("en") && !lang.equals("zh")) throw new IllegalArgumentException("lang must be en or zh, not " + lang);
        if (keywords.isEmpty()) throw new IllegalArgumentException("no keywords for: " + question);
        if (product != null && !question.contains(product)) throw new IllegalArgumentException("the question does not name its product " + product);
        keywords = List.copyOf(keywords);
    }

    /**
     * Whether {@code answer} states this question's fact: it holds every keyword and no U+FFFD.
     * English is matched ignoring case and runs of spaces ("30  Days" holds "30 days"); Chinese
     * ignoring spaces, which models put between digits and characters ("5 个工作日" holds "5个工作日").
     */
    public boolean isStatedIn(String answer) {
        if (answer.indexOf(REPLACEMENT) >= 0) return false;
        String text = normalized(answer);
        for (String keyword : keywords) {
            if (!text.contains(normalized(keyword))) return false;
        }
        return true;
    }

    private String normalized(String s) {
        return lang.equals("en")
                ? s.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ")
                : s.replaceAll("\\s+", "");
    }

    /** Reads a JSON list of {lang, fact, question, product (optional), keywords} objects; a bad entry is an error naming the file and entry. */
    public static List<HeldOutQuestion> load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new JtuneException("cannot read the held-out questions " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new JtuneException(file + ": expected a non-empty JSON list of {lang, fact, question, keywords}");
        }
        List<HeldOutQuestion> questions = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            try {
                List<String> keywords = new ArrayList<>();
                JsonNode k = n.path("keywords");
                if (!k.isArray()) throw new IllegalArgumentException("keywords must be a list of strings");
                for (JsonNode w : k) {
                    if (!w.isTextual() || w.asText().isBlank()) throw new IllegalArgumentException("keywords must be non-empty strings");
                    keywords.add(w.asText());
                }
                String product = n.has("product") ? text(n, "product") : null;
                questions.add(new HeldOutQuestion(text(n, "lang"), text(n, "fact"), text(n, "question"), product, keywords));
            } catch (IllegalArgumentException e) {
                throw new JtuneException(file + ": entry " + (i + 1) + ": " + e.getMessage());
            }
        }
        return List.copyOf(questions);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isBlank()) throw new IllegalArgumentException("missing text field \"" + field + "\"");
        return v.asText();
    }
}
