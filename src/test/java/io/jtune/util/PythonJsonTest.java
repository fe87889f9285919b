package io.jtune.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.util.PythonJson.Options;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are CPython 3's own output: json.dumps(...), repr(float), round(x, n). */
class PythonJsonTest {
    private static final Options HF_FILE = Options.DEFAULT.withIndent(2);

    @Test
    void jsonNodeWithIndentTwoAsTransformersWritesConfigs() throws Exception {
        String in = "{\"b\": [2, 3], \"a\": {\"x\": 1e-05, \"y\": 500000.0}, \"e\": {}, \"l\": [], \"s\": \"caf\u00e9 \\\"q\\\"\\n\", \"n\": null, \"t\": true}";
        var node = new ObjectMapper().readTree(in);
        assertEquals("""
                {
                  "b": [
                    2,
                    3
                  ],
                  "a": {
                    "x": 1e-05,
                    "y": 500000.0
                  },
                  "e": {},
                  "l": [],
                  "s": "caf\\u00e9 \\"q\\"\\n",
                  "n": null,
                  "t": true
                }""", PythonJson.dumps(node, HF_FILE));
        assertEquals("{\n  \"a\": 1,\n  \"b\": 2\n}",
                PythonJson.dumps(new ObjectMapper().readTree("{\"b\":2,\"a\":1}"), HF_FILE.withSortedKeys()));
    }

    @Test
    void javaValuesOnOneLineAndIndented() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("current_steps", 5);
        line.put("loss", 1.2345);
        line.put("lr", 5e-05);
        line.put("epoch", 0.5);
        line.put("percentage", 50.0);
        line.put("elapsed_time", "0:00:10");
        assertEquals("{\"current_steps\": 5, \"loss\": 1.2345, \"lr\": 5e-05, \"epoch\": 0.5, \"percentage\": 50.0, \"elapsed_time\": \"0:00:10\"}",
                PythonJson.dumps(line));

        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("b", 1);
        nested.put("a", Arrays.asList(1.0, "é\n", null, true));
        nested.put("c", Map.of());
        assertEquals("""
                {
                    "a": [
                        1.0,
                        "\\u00e9\\n",
                        null,
                        true
                    ],
                    "b": 1,
                    "c": {}
                }""", PythonJson.dumps(nested, Options.DEFAULT.withIndent(4).withSortedKeys()));
        assertEquals("[]", PythonJson.dumps(List.of()));
    }

    @Test
    void nonAsciiKeptAsLlamaFactoryRendersTools() {
        assertEquals("{\"a\": [1, 2.5, \"é\\n\"], \"b\": {}}",
                PythonJson.dumps(PythonJson.parse("{\"a\":[1,2.5,\"é\\n\"],\"b\":{}}"), Options.NON_ASCII_KEPT));
        assertEquals("{\n    \"a\": [\n        1\n    ]\n}",
                PythonJson.dumps(PythonJson.parse("{\"a\":[1]}"), Options.NON_ASCII_KEPT.withIndent(4)));
    }

    @Test
    void predictionLinesAsGeneratedPredictionsJsonl() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prompt", "a\"b\\c\nd\t\u0001é中");
        m.put("predict", "");
        assertEquals("{\"prompt\": \"a\\\"b\\\\c\\nd\\t\\u0001é中\", \"predict\": \"\"}",
                PythonJson.dumps(m, Options.NON_ASCII_KEPT));
    }

    @Test
    void floatReprLikePython() {
        String[][] cases = {
            {"0.0001", "0.0001"}, {"0.00001", "1e-05"}, {"1e15", "1000000000000000.0"}, {"1e16", "1e+16"},
            {"1.5e-7", "1.5e-07"}, {"-0.0", "-0.0"}, {"0.1", "0.1"}, {"123456789012345678", "1.2345678901234568e+17"},
            {"4.9e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"}, {"10000", "10000.0"}, {"-2.5", "-2.5"},
            {"123456789.0", "123456789.0"},
        };
        for (String[] c : cases) assertEquals(c[1], PythonJson.floatRepr(Double.parseDouble(c[0])), c[0]);

        double[] values = {0.0001, 1e-05, 5e-05, 3.0, 1e16, 123456789.0, 0.1 + 0.2, 2.5e-05, -1.5, 1e22, 1234567890123456.0,
            0.00012345, 100.0, Double.MAX_VALUE, Double.MIN_VALUE, 0.0};
        String[] python = {"0.0001", "1e-05", "5e-05", "3.0", "1e+16", "123456789.0", "0.30000000000000004", "2.5e-05", "-1.5",
            "1e+22", "1234567890123456.0", "0.00012345", "100.0", "1.7976931348623157e+308", "5e-324", "0.0"};
        assertEquals(Arrays.asList(python), Arrays.stream(values).mapToObj(PythonJson::floatRepr).toList());
        assertEquals("NaN", PythonJson.floatRepr(Double.NaN));
        assertEquals("-Infinity", PythonJson.floatRepr(Double.NEGATIVE_INFINITY));
    }

    @Test
    void roundIsPythonsRound() {
        assertEquals(2.67, PythonJson.round(2.675, 2)); // 2.675 is 2.67499999... in binary
        assertEquals(0.12, PythonJson.round(0.125, 2)); // exact half: to even
        assertEquals(1.0, PythonJson.round(1.0005, 3));
        assertEquals(12.3457, PythonJson.round(12.3456789, 4));
    }
}
