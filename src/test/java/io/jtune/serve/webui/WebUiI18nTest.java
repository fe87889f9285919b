package io.jtune.serve.webui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtune.data.Role;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The page's languages (LLaMA-Factory's set): every text key is translated in every language, no
 * text is empty, placeholders match, every key the page asks for (in its HTML, its script, the
 * forms' fields and sections, job states, roles) has a text, and every text is used.
 */
class WebUiI18nTest {
    private static final List<String> LANGUAGES = List.of("en", "zh", "ru", "ja", "ko");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\d+}");

    private static String resource(String name) throws IOException {
        try (InputStream in = WebUiI18nTest.class.getResourceAsStream("/io/jtune/serve/webui/static/" + name)) {
            assertTrue(in != null, name + " is served from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static JsonNode i18n() throws IOException {
        return Json.MAPPER.readTree(resource("i18n.json"));
    }

    private static Set<String> keys(JsonNode texts) {
        Set<String> keys = new TreeSet<>();
        texts.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    @Test
    void theFiveLanguagesOfLlamaFactoryEachNamedInItself() throws IOException {
        List<String> codes = new ArrayList<>(), names = new ArrayList<>();
        for (JsonNode l : i18n().get("languages")) {
            codes.add(l.get("code").asText());
            names.add(l.get("name").asText());
        }
        assertEquals(LANGUAGES, codes);
        assertEquals(List.of("English", "中文", "Русский", "日本語", "한국어"), names);
    }

    @Test
    void everyKeyIsTranslatedInEveryLanguageWithTheSamePlaceholders() throws IOException {
        JsonNode texts = i18n().get("texts");
        Set<String> english = keys(texts.get("en"));
        assertTrue(english.size() > 100, "the English texts: " + english.size());
        List<String> problems = new ArrayList<>();
        for (String lang : LANGUAGES) {
            JsonNode own = texts.get(lang);
            for (String key : english) {
                JsonNode text = own.get(key);
                if (text == null) {
                    problems.add(lang + ": missing " + key);
                } else if (!text.isTextual() || text.asText().isBlank()) {
                    problems.add(lang + ": empty " + key);
                } else if (!placeholders(text.asText()).equals(placeholders(texts.get("en").get(key).asText()))) {
                    problems.add(lang + ": " + key + " has placeholders " + placeholders(text.asText()));
                }
            }
            Set<String> extra = new TreeSet<>(keys(own));
            extra.removeAll(english);
            extra.forEach(k -> problems.add(lang + ": " + k + " is not an English key"));
        }
        assertEquals(List.of(), problems);
    }

    private static Set<String> placeholders(String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) found.add(m.group());
        return found;
    }

    @Test
    void everyKeyThePageAsksForHasATextAndEveryTextIsUsed() throws IOException {
        Set<String> english = keys(i18n().get("texts").get("en"));
        Set<String> used = new TreeSet<>();
        String html = resource("index.html"), script = resource("app.js");
        addAll(used, Pattern.compile("data-i18n(?:-placeholder)?=\"([^\"]+)\""), html);
        // every whole string literal of the script that looks like a text key ("train.saved", "preview.chosen")
        addAll(used, Pattern.compile("\"((?:tab|section|train|preview|role|job|state|chart|chat|eval|predict|export|started|ended|error|top|token)"
                + "\\.[A-Za-z.]+)\"(?!\\s*\\+)"), script);
        addAll(used, Pattern.compile("\\bt\\(\"([^\"]+)\"[,)]"), script);
        // keys the script builds: a label per form field, a heading per section, job states and kinds, roles
        for (ConfigForm form : WebUiForms.ALL) form.keys().forEach(k -> used.add("f." + k));
        Matcher sections = Pattern.compile("const SECTIONS = \\{(.*?)\\n};", Pattern.DOTALL).matcher(script);
        assertTrue(sections.find(), "app.js lists its form sections");
        for (Matcher m = Pattern.compile("(?m)^\\s+(\\w+): \\[").matcher(sections.group(1)); m.find(); ) used.add("section." + m.group(1));
        for (WebUiJob.State s : WebUiJob.State.values()) used.add("state." + s.name().toLowerCase(Locale.ROOT));
        used.add("state.none");
        for (String kind : List.of("train", "evaluate", "predict", "export")) used.add("started." + kind);
        used.addAll(List.of("ended.train.finished", "ended.train.aborted", "chat.user", "chat.assistant"));
        for (Role r : Role.values()) used.add("role." + r.value());
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(english);
        assertEquals(Set.of(), missing, "keys the page uses without a text");
        Set<String> unused = new TreeSet<>(english);
        unused.removeAll(used);
        assertEquals(Set.of(), unused, "texts nothing on the page uses");
        assertTrue(used.contains("f.pref_beta") && used.contains("section.rlhf") && used.contains("train.preview"), used.toString());
    }

    private static void addAll(Set<String> into, Pattern p, String text) {
        Matcher m = p.matcher(text);
        while (m.find()) into.add(m.group(1));
    }
}
