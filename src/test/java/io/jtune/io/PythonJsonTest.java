package io.jtune.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PythonJsonTest {
    /** Expected texts printed by CPython 3: json.dumps(obj, indent=2, sort_keys=...) and repr(float). */
    @Test
    void matchesPythonsJsonDumps() throws Exception {
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
                }
                """, PythonJson.dumps(node, false));
        assertEquals("{\n  \"a\": 1,\n  \"b\": 2\n}\n", PythonJson.dumps(new ObjectMapper().readTree("{\"b\":2,\"a\":1}"), true));
    }

    @Test
    void floatReprLikePython() {
        String[][] cases = {
            {"0.0001", "0.0001"}, {"0.00001", "1e-05"}, {"1e15", "1000000000000000.0"}, {"1e16", "1e+16"},
            {"1.5e-7", "1.5e-07"}, {"-0.0", "-0.0"}, {"0.1", "0.1"}, {"123456789012345678", "1.2345678901234568e+17"},
            {"4.9e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"}, {"10000", "10000.0"}, {"-2.5", "-2.5"},
        };
        for (String[] c : cases) assertEquals(c[1], PythonJson.floatRepr(Double.parseDouble(c[0])), c[0]);
    }
}
