package io.jtune.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text exposition format 0.0.4 for tests: every line is a # HELP or
 * # TYPE comment or a sample {@code name{label="value",...} value}; anything else fails the parse.
 * Samples are keyed by name and their labels sorted, e.g. {@code jtune_requests_total{model="a",status="200"}}.
 */
final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( \\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    final Map<String, Double> samples = new LinkedHashMap<>();
    final Map<String, String> types = new LinkedHashMap<>();

    static PrometheusText parse(String text) {
        PrometheusText p = new PrometheusText();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isEmpty()) continue;
            if (line.startsWith("# HELP ")) continue;
            if (line.startsWith("# TYPE ")) {
                Matcher t = TYPE.matcher(line);
                if (!t.matches()) throw new IllegalArgumentException("line " + lineNo + ": bad TYPE: " + line);
                p.types.put(t.group(1), t.group(2));
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) throw new IllegalArgumentException("line " + lineNo + ": not a sample: " + line);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                int end = 0;
                while (l.find() && l.start() == end) {
                    labels.put(l.group(1), l.group(2));
                    end = l.end();
                }
                if (end != m.group(3).length()) throw new IllegalArgumentException("line " + lineNo + ": bad labels: " + line);
            }
            p.samples.put(key(m.group(1), labels), Double.parseDouble(m.group(4).replace("+Inf", "Infinity")));
        }
        return p;
    }

    static String key(String name, Map<String, String> labels) {
        if (labels.isEmpty()) return name;
        StringBuilder b = new StringBuilder(name).append('{');
        new TreeMap<>(labels).forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
        b.setLength(b.length() - 1);
        return b.append('}').toString();
    }

    /** The sample's value, or 0 when the series is absent (a counter never incremented). */
    double value(String name, String... labelPairs) {
        Map<String, String> labels = new TreeMap<>();
        for (int i = 0; i < labelPairs.length; i += 2) labels.put(labelPairs[i], labelPairs[i + 1]);
        return samples.getOrDefault(key(name, labels), 0.0);
    }
}
