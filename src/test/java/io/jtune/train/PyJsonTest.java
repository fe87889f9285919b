package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Expected strings are Python 3's own output (repr, json.dumps, round). */
class PyJsonTest {
    @Test
    void floatsLookLikePythonRepr() {
        double[] values = {0.0001, 1e-05, 5e-05, 3.0, 1e16, 123456789.0, 0.1 + 0.2, 2.5e-05, -1.5, 1e22, 1234567890123456.0,
            0.00012345, 100.0, Double.MAX_VALUE, Double.MIN_VALUE, 0.0};
        String[] python = {"0.0001", "1e-05", "5e-05", "3.0", "1e+16", "123456789.0", "0.30000000000000004", "2.5e-05", "-1.5",
            "1e+22", "1234567890123456.0", "0.00012345", "100.0", "1.7976931348623157e+308", "5e-324", "0.0"};
        assertEquals(Arrays.asList(python), Arrays.stream(values).mapToObj(PyJson::floatRepr).toList());
        assertEquals("NaN", PyJson.floatRepr(Double.NaN));
        assertEquals("-Infinity", PyJson.floatRepr(Double.NEGATIVE_INFINITY));
    }

    @Test
    void dumpsMatchesJsonDumps() {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("current_steps", 5);
        line.put("loss", 1.2345);
        line.put("lr", 5e-05);
        line.put("epoch", 0.5);
        line.put("percentage", 50.0);
        line.put("elapsed_time", "0:00:10");
        assertEquals("{\"current_steps\": 5, \"loss\": 1.2345, \"lr\": 5e-05, \"epoch\": 0.5, \"percentage\": 50.0, \"elapsed_time\": \"0:00:10\"}",
                PyJson.dumps(line));

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
                }""", PyJson.dumps(nested, 4, true));
        assertEquals("[]", PyJson.dumps(List.of()));
    }

    @Test
    void roundIsPythonsRound() {
        assertEquals(2.67, PyJson.round(2.675, 2)); // 2.675 is 2.67499999... in binary
        assertEquals(0.12, PyJson.round(0.125, 2)); // exact half: to even
        assertEquals(1.0, PyJson.round(1.0005, 3));
        assertEquals(12.3457, PyJson.round(12.3456789, 4));
    }
}
