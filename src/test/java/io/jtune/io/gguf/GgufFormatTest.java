package io.jtune.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.JtuneException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFormatTest {
    @TempDir Path dir;

    @Test
    void everyValueTypeRoundTripsAndTheHeaderIsByteExact() throws IOException {
        GgufMetadata m = new GgufMetadata()
                .put("u8", GgufValue.scalar(GgufValueType.UINT8, 200L))
                .put("i8", GgufValue.scalar(GgufValueType.INT8, -5L))
                .put("u16", GgufValue.scalar(GgufValueType.UINT16, 65000L))
                .put("i16", GgufValue.scalar(GgufValueType.INT16, -300L))
                .putUint32("u32", 4_000_000_000L)
                .putInt32("i32", -7)
                .putUint64("u64", 1L << 40)
                .put("i64", GgufValue.scalar(GgufValueType.INT64, -(1L << 40)))
                .putFloat32("f32", 0.1)
                .putFloat64("f64", 0.1)
                .putBool("b", true)
                .putString("s", "héllo 你好")
                .putStringArray("as", List.of("a", "", "c"))
                .putInt32Array("ai", new int[] {1, -2, 3})
                .putFloat32Array("af", new float[] {0.5f, -1f})
                .putUint32("general.alignment", 64);
        Path file = dir.resolve("kv.gguf");
        float[] v = {1, 2, 3};
        GgufWriter.write(file, m, List.of(GgufTensor.vector("v", GgmlType.F32, TensorRows.vector(v))));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("GGUF", new String(bytes, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(3, bb.getInt(4));
        assertEquals(1, bb.getLong(8), "tensor count");
        assertEquals(16, bb.getLong(16), "metadata count");
        assertEquals(2, bb.getLong(24), "first key length");
        assertEquals("u8", new String(bytes, 32, 2, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0, bb.getInt(34), "UINT8 type id");
        assertEquals((byte) 200, bytes[38]);
        assertEquals(0, bytes.length % 64, "data padded to general.alignment");
        try (GgufReader r = GgufReader.open(file)) {
            GgufMetadata got = r.metadata();
            assertEquals(200, got.getLong("u8"));
            assertEquals(-5, got.getLong("i8"));
            assertEquals(65000, got.getLong("u16"));
            assertEquals(-300, got.getLong("i16"));
            assertEquals(4_000_000_000L, got.getLong("u32"));
            assertEquals(-7, got.getLong("i32"));
            assertEquals(1L << 40, got.getLong("u64"));
            assertEquals(-(1L << 40), got.getLong("i64"));
            assertEquals((double) 0.1f, got.getDouble("f32"));
            assertEquals(0.1, got.getDouble("f64"));
            assertTrue(got.getBool("b"));
            assertEquals("héllo 你好", got.getString("s"));
            assertEquals(List.of("a", "", "c"), got.getStringList("as"));
            assertEquals(List.of(1L, -2L, 3L), got.get("ai").list());
            assertEquals(List.of(0.5, -1.0), got.get("af").list());
            assertEquals(64, r.alignment());
            assertArrayEquals(v, r.readFloats("v"));
            JtuneException e = assertThrows(JtuneException.class, () -> got.getString("u8"));
            assertTrue(e.getMessage().contains("'u8' is UINT8, expected STRING"), e.getMessage());
        }
    }

    @Test
    void emptyArraysRoundTripAndDuplicateTensorsAreRefused() throws java.io.IOException {
        // an empty array is valid GGUF (a byte-level BPE tokenizer with no merges writes tokenizer.ggml.merges as one)
        GgufMetadata m = new GgufMetadata().putStringArray("empty", List.of());
        GgufWriter.write(dir.resolve("a.gguf"), m, List.of());
        try (GgufReader r = GgufReader.open(dir.resolve("a.gguf"))) {
            assertEquals(List.of(), r.metadata().getStringList("empty"));
        }
        GgufTensor t = GgufTensor.vector("x", GgmlType.F32, TensorRows.vector(new float[] {1}));
        JtuneException e = assertThrows(JtuneException.class, () -> GgufWriter.write(dir.resolve("b.gguf"), new GgufMetadata(), List.of(t, t)));
        assertTrue(e.getMessage().contains("'x' would be written twice"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("b.gguf")));
    }

    @Test
    void vocabularyIsClassifiedLikeTheConverter() {
        GgufTokenizer.Vocabulary v = GgufTokenizer.vocabulary(7,
                Map.of("a", 0, "b", 1, "ab", 2),
                Map.of(3, new GgufTokenizer.AddedToken("<|im_end|>", false),
                        4, new GgufTokenizer.AddedToken("<think>", true),
                        5, new GgufTokenizer.AddedToken("\u2581hi", false)));
        assertEquals(List.of("a", "b", "ab", "<|im_end|>", "<think>", " hi", "[PAD6]"), v.tokens());
        assertArrayEquals(new int[] {1, 1, 1, 3, 3, 4, 5}, v.types());
        JtuneException e = assertThrows(JtuneException.class, () -> GgufTokenizer.vocabulary(2, Map.of("a", 5), Map.of()));
        assertTrue(e.getMessage().contains("id 5"), e.getMessage());
    }
}
