package io.jtune.io.safetensors;

import static io.jtune.io.safetensors.RawSafetensors.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of damage ends in one SafetensorsException naming the file and, where there is one, the tensor. */
class SafetensorsBadFileTest {
    @TempDir Path dir;

    private static final String TWO = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";

    private SafetensorsException fails(byte[] image, String... expectedFragments) throws Exception {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, image);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String f : expectedFragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        return e;
    }

    private SafetensorsException fails(String header, byte[] data, String... expectedFragments) throws Exception {
        return fails(RawSafetensors.image(header, data), expectedFragments);
    }

    @Test
    void truncatedData() throws Exception {
        SafetensorsException e = fails(TWO, f32(1, 2), "reach past the end", "truncated");
        assertEquals("b", e.tensor());
    }

    @Test
    void shorterThanTheLengthPrefix() throws Exception {
        fails(new byte[] {1, 2, 3}, "3 bytes", "truncated");
        fails(new byte[0], "0 bytes");
    }

    @Test
    void headerLengthBeyondTheFileOrAbsurd() throws Exception {
        byte[] image = RawSafetensors.image(TWO, f32(1, 2, 3));
        byte[] longer = image.clone();
        ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN).putLong(0, image.length);
        fails(longer, "reaches past the end");
        byte[] huge = image.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 5_000_000_000L);
        fails(huge, "5000000000", "limit");
        byte[] unsigned = image.clone();
        ByteBuffer.wrap(unsigned).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        fails(unsigned, "18446744073709551615");
    }

    @Test
    void overlappingOffsets() throws Exception {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        SafetensorsException e = fails(h, f32(1, 2), "overlap tensor 'a'");
        assertEquals("b", e.tensor());
    }

    @Test
    void gapBetweenTensors() throws Exception {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertEquals("b", fails(h, f32(1, 2, 3), "gap").tensor());
    }

    @Test
    void outOfRangeAndReversedOffsets() throws Exception {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1000000,1000004]}}";
        assertEquals("a", fails(h, f32(1), "reach past the end").tensor());
        String reversed = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        fails(reversed, f32(1), "end before they begin");
    }

    @Test
    void extraBytesAfterTheLastTensor() throws Exception {
        fails(TWO, f32(1, 2, 3, 4), "cover 12 bytes but the data section has 16");
    }

    @Test
    void dtypeTimesShapeDisagreesWithTheByteCount() throws Exception {
        String h = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertEquals("a", fails(h, f32(1, 2), "needs 6 bytes", "hold 8").tensor());
    }

    @Test
    void negativeOrOverflowingShapes() throws Exception {
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1), "non-negative integers");
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", f32(1), "overflows");
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999999],\"data_offsets\":[0,4]}}", f32(1), "non-negative integers");
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", f32(1), "non-negative integers");
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", f32(1), "\"shape\"");
        fails("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1), "\"data_offsets\" must be an array of 2");
    }

    @Test
    void duplicateNames() throws Exception {
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertEquals("a", fails(h, f32(1, 2), "twice").tensor());
    }

    @Test
    void notJsonOrNotUtf8() throws Exception {
        fails("{\"a\":{\"dtype\":\"F32\",", f32(1), "not valid JSON");
        fails("[1,2]", new byte[0], "not a JSON object");
        fails("{} trailing", new byte[0], "not valid JSON");
        byte[] header = "{\"\u00e9\":{}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] broken = Arrays.copyOf(header, header.length);
        broken[3] = (byte) 0xff; // not a UTF-8 byte anywhere
        byte[] image = RawSafetensors.concat(
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(broken.length).array(), broken);
        fails(image, "not valid UTF-8");
    }

    @Test
    void unknownDtypeListsTheAllowedOnes() throws Exception {
        SafetensorsException e = fails("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16],
                "unsupported dtype \"F128\"", "BF16", "F8_E5M2");
        assertEquals("a", e.tensor());
        fails("{\"a\":{\"dtype\":\"bf16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2], "unsupported dtype \"bf16\"");
        fails("{\"a\":{\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2], "missing \"dtype\"");
    }

    @Test
    void metadataMustBeStrings() throws Exception {
        fails("{\"__metadata__\":{\"format\":1}}", new byte[0], "__metadata__", "format");
        fails("{\"__metadata__\":[]}", new byte[0], "__metadata__ must be a JSON object");
        Path nullMetadata = RawSafetensors.write(dir.resolve("n.safetensors"), "{\"__metadata__\":null}", new byte[0]);
        try (SafetensorsFile f = SafetensorsFile.open(nullMetadata)) {
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void indexNamingAMissingShard() throws Exception {
        RawSafetensors.write(dir.resolve("model-00001-of-00002.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(index, e.file());
        assertEquals("b", e.tensor());
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void indexNamingATensorAbsentFromItsShard() throws Exception {
        Path shard = RawSafetensors.write(dir.resolve("model-00001-of-00001.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model-00001-of-00001.safetensors\",\"ghost\":\"model-00001-of-00001.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(shard, e.file());
        assertEquals("ghost", e.tensor());
    }

    @Test
    void indexThatIsBrokenOrEscapesTheDirectory() throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../elsewhere.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("same directory"), e.getMessage());
        Files.writeString(index, "{\"weight_map\":");
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage().contains("not valid JSON"));
        Files.writeString(index, "{\"metadata\":{}}");
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage().contains("weight_map"));
    }

    @Test
    void missingFileOrEmptyDirectory() {
        Path missing = dir.resolve("nope.safetensors");
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(missing)).getMessage().contains("does not exist"));
        assertTrue(assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(dir)).getMessage()
                .contains("no model.safetensors or model.safetensors.index.json"));
    }
}
