package io.jtune.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The GGUF block decoders against goldens from src/test/python/make_ggml_block_goldens.py (ggml's
 * dequantize_row_* formulas in float32, bit for bit), a block worked by hand, and the matrix view
 * reading whole rows and runs that start and end inside blocks.
 */
class GgmlBlockFormatTest {
    static JsonNode goldens() throws IOException {
        try (InputStream in = GgmlBlockFormatTest.class.getResourceAsStream("/goldens/ggml_blocks/blocks.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static float[] floats(JsonNode bits) {
        float[] out = new float[bits.size()];
        for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat(bits.get(i).asInt());
        return out;
    }

    @Test
    void everyFormatDecodesItsGoldenBlocksBitForBit() throws IOException {
        JsonNode g = goldens();
        for (GgmlBlockFormat f : GgmlBlockFormat.values()) {
            JsonNode cases = g.get(f.name());
            assertEquals(4, cases.size(), f.name());
            for (JsonNode c : cases) {
                byte[] block = HexFormat.of().parseHex(c.get("bytes").asText());
                assertArrayEquals(floats(c.get("bits")), f.decodeBlock(block), f.name());
            }
        }
    }

    @Test
    void q4_0BlockWorkedByHand() {
        byte[] block = new byte[18];
        block[0] = 0x00;
        block[1] = 0x38;          // fp16 0x3800 = 0.5
        block[2] = (byte) 0x9F;   // element 0: low nibble 15, element 16: high nibble 9
        for (int j = 1; j < 16; j++) block[2 + j] = (byte) 0x88; // code 8: zero
        float[] y = GgmlBlockFormat.Q4_0.decodeBlock(block);
        assertEquals((15 - 8) * 0.5f, y[0]);
        assertEquals((9 - 8) * 0.5f, y[16]);
        assertEquals(0f, y[1]);
        assertEquals(0f, y[31]);
    }

    @Test
    void q4_1BlockWorkedByHand() {
        byte[] block = new byte[20];
        block[1] = 0x3C;          // d = fp16 0x3C00 = 1
        block[3] = (byte) 0xBC;   // m = fp16 0xBC00 = -1
        block[4] = 0x2F;          // element 0: 15·1 − 1 = 14, element 16: 2·1 − 1 = 1
        float[] y = GgmlBlockFormat.Q4_1.decodeBlock(block);
        assertEquals(14f, y[0]);
        assertEquals(1f, y[16]);
        assertEquals(-1f, y[1]);
    }

    @Test
    void matrixRowsAreTheirBlocksDecodedIncludingRunsInsideBlocks() throws IOException {
        JsonNode g = goldens();
        for (GgmlBlockFormat f : GgmlBlockFormat.values()) {
            JsonNode cases = g.get(f.name());
            int bs = f.blockSize(), cols = 2 * bs;
            // two rows of two blocks each: row 0 = cases 0,1; row 1 = cases 2,3
            byte[] all = new byte[4 * f.blockBytes()];
            float[] expected = new float[4 * bs];
            for (int i = 0; i < 4; i++) {
                System.arraycopy(HexFormat.of().parseHex(cases.get(i).get("bytes").asText()), 0, all, i * f.blockBytes(), f.blockBytes());
                System.arraycopy(floats(cases.get(i).get("bits")), 0, expected, i * bs, bs);
            }
            GgmlBlockMatrix m = GgmlBlockMatrix.view(f, MemorySegment.ofArray(all), 2, cols);
            for (int r = 0; r < 2; r++) {
                float[] row = new float[cols];
                m.readRow(r, 0, cols, row, 0);
                assertArrayEquals(java.util.Arrays.copyOfRange(expected, r * cols, (r + 1) * cols), row, f + " row " + r);
                int c0 = bs / 2 + 3, len = bs; // starts inside block 0, ends inside block 1
                float[] run = new float[len + 1];
                m.readRow(r, c0, len, run, 1);
                assertArrayEquals(java.util.Arrays.copyOfRange(expected, r * cols + c0, r * cols + c0 + len),
                        java.util.Arrays.copyOfRange(run, 1, len + 1), f + " run of row " + r);
                assertEquals(expected[r * cols + 5], m.get(r, 5));
            }
            assertThrows(IllegalArgumentException.class, () -> GgmlBlockMatrix.view(f, MemorySegment.ofArray(all), 2, cols + bs));
        }
    }
}
