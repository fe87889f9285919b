package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jtune.io.safetensors.SafetensorsFile;
import io.jtune.io.safetensors.StoredTensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * jtune's bitsandbytes formats against an independent PyTorch reference of their definitions
 * (src/test/python/make_quant_goldens.py): for random bf16 tensors of awkward shapes (sizes not
 * multiples of 64 or 256, blocks running over row ends, zero blocks), the packed codes, the absmax
 * (plain, or double-quantized codes, nested absmax and offset) are identical and the dequantized
 * weights equal bit for bit.
 */
class BnbFormatsGoldenTest {
    private static final Path ROOT = Path.of("src/test/resources/goldens/quantized");

    static List<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(ROOT.resolve("formats.json").toFile()).get("cases").forEach(out::add);
        return out;
    }

    @Test
    void dynamicMapIsBitsandbytesMap() {
        try (SafetensorsFile f = SafetensorsFile.open(ROOT.resolve("formats.safetensors"))) {
            assertArrayEquals(f.tensor("dynamic_map").toFloatArray(), DynamicMap.values());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void codesAbsmaxAndDequantizedWeightsMatch(JsonNode c) {
        String name = c.get("name").asText();
        int rows = c.get("shape").get(0).asInt(), cols = c.get("shape").get(1).asInt();
        try (SafetensorsFile f = SafetensorsFile.open(ROOT.resolve("formats.safetensors"))) {
            Matrix input = f.tensor(name + ".input").matrix();
            Matrix q;
            if (c.get("kind").asText().equals("int8")) {
                Int8RowMatrix m = Int8RowMatrix.quantize(input);
                assertArrayEquals(bytes(f.tensor(name + ".codes")), m.codes(), name + " codes");
                assertArrayEquals(f.tensor(name + ".absmax").toFloatArray(), m.rowMax(), name + " row max");
                q = m;
            } else {
                Bnb4BitType type = Bnb4BitType.ofBnbName(c.get("kind").asText());
                Bnb4BitMatrix m = Bnb4BitMatrix.quantize(input, type, c.get("double").asBoolean());
                assertArrayEquals(bytes(f.tensor(name + ".codes")), m.packedCodes(), name + " packed codes");
                if (m.absmax() instanceof BlockAbsmax.Nested nested) {
                    assertArrayEquals(bytes(f.tensor(name + ".absmax")), nested.codes(), name + " absmax codes");
                    assertArrayEquals(f.tensor(name + ".nested_absmax").toFloatArray(), nested.nestedAbsmax(), name + " nested absmax");
                    assertEquals(f.tensor(name + ".offset").toFloatArray()[0], nested.offset(), name + " offset");
                } else {
                    assertArrayEquals(f.tensor(name + ".absmax").toFloatArray(), ((BlockAbsmax.Plain) m.absmax()).values(), name + " absmax");
                }
                q = m;
            }
            float[] expected = f.tensor(name + ".dequant").toFloatArray();
            assertBitIdentical(expected, rows, cols, q, name);
        }
    }

    /** Every row read whole, and every run of an awkward length from every start (the GEMM's packing reads runs). */
    static void assertBitIdentical(float[] expected, int rows, int cols, Matrix q, String name) {
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            q.readRow(r, 0, cols, row, 0);
            for (int c = 0; c < cols; c++) {
                if (Float.floatToRawIntBits(row[c]) != Float.floatToRawIntBits(expected[r * cols + c])) {
                    throw new AssertionError(name + " [" + r + ", " + c + "]: " + row[c] + " != " + expected[r * cols + c]);
                }
            }
        }
        for (int r = 0; r < rows; r += Math.max(1, rows / 5)) {
            for (int c0 = 0; c0 < cols; c0 += 7) {
                int len = Math.min(cols - c0, 67);
                float[] run = new float[len + 3];
                q.readRow(r, c0, len, run, 3);
                for (int j = 0; j < len; j++) {
                    assertEquals(Float.floatToRawIntBits(expected[r * cols + c0 + j]), Float.floatToRawIntBits(run[3 + j]),
                            name + " run at [" + r + ", " + (c0 + j) + "]");
                }
            }
        }
    }

    static byte[] bytes(StoredTensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }
}
