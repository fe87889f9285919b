package io.jtune.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
    @TempDir Path dir;

    /** The exact bytes against the format: u64 LE length, compact JSON padded with spaces to 8, data. */
    @Test
    void headerBytesFollowTheFormatSpec() throws Exception {
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.writeFile(file, List.of(
                TensorToWrite.ofFloats("b", DType.BF16, new long[] {2}, new float[] {1f, -2f}),
                TensorToWrite.ofFloats("a", DType.F32, new long[] {1, 2}, new float[] {0.5f, 3f})),
                SafetensorsWriter.PT_METADATA);
        byte[] bytes = Files.readAllBytes(file);
        // F32 sorts before BF16 (larger alignment first); offsets are relative to the data section.
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        assertEquals(142, json.length());
        String paddedJson = json + "  "; // 142 -> 144, a multiple of 8
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(144, headerLength);
        assertArrayEquals(new byte[] {(byte) 144, 0, 0, 0, 0, 0, 0, 0}, Arrays.copyOf(bytes, 8));
        assertEquals(paddedJson, new String(bytes, 8, 144, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(bytes, 152, bytes.length);
        assertArrayEquals(new byte[] {
                0, 0, 0, 0x3f, 0, 0, 0x40, 0x40,   // 0.5f, 3.0f little-endian
                (byte) 0x80, 0x3f, 0, (byte) 0xc0}, // bf16 1.0 = 0x3f80, -2.0 = 0xc000
                data);
    }

    @Test
    void anEmptyFileIsHeaderOnly() throws Exception {
        Path file = dir.resolve("e.safetensors");
        SafetensorsWriter.writeFile(file, List.of(), Map.of());
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '}, Files.readAllBytes(file));
    }

    @Test
    void splitFollowsHuggingFaceHub() {
        // huggingface_hub's documented example: limit 10, sizes [6,6,2,6,2,2] -> [6], [6,2], [6,2,2]
        List<TensorToWrite> ts = new ArrayList<>();
        int[] sizes = {6, 6, 2, 6, 2, 2};
        for (int i = 0; i < sizes.length; i++) ts.add(u8("t" + i, sizes[i]));
        assertEquals(List.of(List.of("t0"), List.of("t1", "t2"), List.of("t3", "t4", "t5")), names(SafetensorsWriter.split(ts, 10)));
        // A tensor over the limit gets its own shard where it is met, before the shard being filled.
        List<TensorToWrite> big = List.of(u8("a", 4), u8("huge", 30), u8("b", 4), u8("c", 4));
        assertEquals(List.of(List.of("huge"), List.of("a", "b"), List.of("c")), names(SafetensorsWriter.split(big, 10)));
    }

    @Test
    void shardedCheckpointReadsBackBitIdentical() throws Exception {
        Random rnd = new Random(42);
        List<TensorToWrite> tensors = new ArrayList<>();
        List<byte[]> originals = new ArrayList<>();
        DType[] dtypes = {DType.BF16, DType.F32, DType.F16, DType.I64, DType.U8, DType.F8_E4M3};
        for (int i = 0; i < 12; i++) {
            DType d = dtypes[i % dtypes.length];
            long[] shape = {3 + i, 5};
            byte[] b = new byte[(15 + 5 * i) * d.byteSize()];
            rnd.nextBytes(b);
            originals.add(b);
            tensors.add(TensorToWrite.ofBytes("model.layers." + i + ".w", d, shape, MemorySegment.ofArray(b)));
        }
        List<Path> written = SafetensorsWriter.writeCheckpoint(dir, tensors, 300);
        assertEquals("model.safetensors.index.json", written.getLast().getFileName().toString());
        int shards = written.size() - 1;
        assertTrue(shards > 2, "expected several shards, got " + shards);
        assertEquals(String.format("model-00001-of-%05d.safetensors", shards), written.getFirst().getFileName().toString());
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(12, c.names().size());
            for (int i = 0; i < 12; i++) {
                StoredTensor t = c.tensor("model.layers." + i + ".w");
                assertEquals(dtypes[i % dtypes.length], t.dtype());
                assertArrayEquals(new long[] {3 + i, 5}, t.shape());
                assertArrayEquals(originals.get(i), t.data().toArray(ValueLayout.JAVA_BYTE));
                assertEquals(SafetensorsWriter.PT_METADATA, c.metadata());
            }
        }
        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        long total = originals.stream().mapToLong(b -> b.length).sum();
        assertTrue(index.startsWith("{\n  \"metadata\": {\n    \"total_size\": " + total + "\n  },\n  \"weight_map\": {\n"
                + "    \"model.layers.0.w\": \"model-00001-of-"), index);
        assertTrue(index.endsWith("\n  }\n}\n"), index);
    }

    @Test
    void rewritingAsOneFileRemovesTheOldShards() throws Exception {
        List<TensorToWrite> tensors = List.of(u8("a", 8), u8("b", 8), u8("c", 8));
        SafetensorsWriter.writeCheckpoint(dir, tensors, 10);
        assertTrue(Files.exists(dir.resolve("model-00003-of-00003.safetensors")));
        Files.writeString(dir.resolve("notes.txt"), "kept");
        List<Path> written = SafetensorsWriter.writeCheckpoint(dir, tensors, 1000);
        assertEquals(List.of(dir.resolve("model.safetensors")), written);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("model.safetensors", "notes.txt"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void floatsAreRoundedToNearestEven() throws Exception {
        // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
        float tie = 1f + 1f / 256;
        float above = Math.nextUp(tie);
        SafetensorsWriter.writeFile(dir.resolve("r.safetensors"),
                List.of(TensorToWrite.ofFloats("x", DType.BF16, new long[] {2}, new float[] {tie, above})), Map.of());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("r.safetensors"))) {
            assertEquals(1f, f.tensor("x").matrix().get(0, 0));
            assertEquals(1f + 1f / 128, f.tensor("x").matrix().get(0, 1));
        }
    }

    @Test
    void writerRejectsBadInput() {
        SafetensorsException dup = assertThrows(SafetensorsException.class,
                () -> SafetensorsWriter.writeCheckpoint(dir, List.of(u8("a", 1), u8("a", 1)), 100));
        assertEquals("a", dup.tensor());
        SafetensorsException size = assertThrows(SafetensorsException.class,
                () -> TensorToWrite.ofFloats("w", DType.F32, new long[] {2, 2}, new float[3]));
        assertTrue(size.getMessage().contains("'w'") && size.getMessage().contains("4 elements"), size.getMessage());
        assertThrows(SafetensorsException.class, () -> TensorToWrite.ofFloats("w", DType.I32, new long[] {1}, new float[1]));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
    }

    private static TensorToWrite u8(String name, int bytes) {
        return TensorToWrite.ofBytes(name, DType.U8, new long[] {bytes}, MemorySegment.ofArray(new byte[bytes]));
    }

    private static List<List<String>> names(List<List<TensorToWrite>> shards) {
        return shards.stream().map(s -> s.stream().map(TensorToWrite::name).toList()).toList();
    }
}
