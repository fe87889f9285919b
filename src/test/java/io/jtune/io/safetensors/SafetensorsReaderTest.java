package io.jtune.io.safetensors;

import static io.jtune.io.safetensors.RawSafetensors.concat;
import static io.jtune.io.safetensors.RawSafetensors.f32;
import static io.jtune.io.safetensors.RawSafetensors.i16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jtune.tensor.DType;
import io.jtune.tensor.Matrix;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    @TempDir Path dir;

    @Test
    void readsTensorsMetadataAndMatrixViews() throws Exception {
        // bf16 1.0 = 0x3F80, -2.0 = 0xC000, 0.5 = 0x3F00
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[30,38]}}   ";
        byte[] ids = new byte[] {7, 0, 0, 0, 0, 0, 0, 0};
        Path file = RawSafetensors.write(dir.resolve("a.safetensors"), header,
                concat(f32(1, 2, 3, 4, 5, 6), i16((short) 0x3F80, (short) 0xC000, (short) 0x3F00), ids));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(List.of("w", "b", "ids"), f.tensors().stream().map(StoredTensor::name).toList());
            Matrix w = f.tensor("w").matrix();
            assertEquals(2, w.rows());
            assertEquals(3, w.cols());
            assertEquals(6f, w.get(1, 2));
            Matrix b = f.tensor("b").matrix();
            assertEquals(1, b.rows());
            assertEquals(-2f, b.get(0, 1));
            assertEquals(0.5f, b.get(0, 2));
            assertArrayEquals(new float[] {1, -2, 0.5f}, f.tensor("b").toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, f.tensor("w").toFloatArray());
            StoredTensor t = f.tensor("ids");
            assertEquals(DType.I64, t.dtype());
            assertArrayEquals(new long[] {1}, t.shape());
            assertEquals(7L, t.data().get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            SafetensorsException e = assertThrows(SafetensorsException.class, t::matrix);
            assertTrue(e.getMessage().contains("ids") && e.getMessage().contains("I64"), e.getMessage());
            assertNull(f.find("nope"));
        }
    }

    @Test
    void everyHfDtypeReadsAsRawBytes() throws Exception {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (DType d : DType.values()) {
            if (offset > 0) header.append(',');
            header.append('"').append(d.name().toLowerCase()).append("\":{\"dtype\":\"").append(d.name())
                    .append("\",\"shape\":[2],\"data_offsets\":[").append(offset).append(',').append(offset + 2L * d.byteSize()).append("]}");
            offset += 2L * d.byteSize();
        }
        header.append('}');
        byte[] data = new byte[(int) offset];
        for (int i = 0; i < data.length; i++) data[i] = (byte) i;
        try (SafetensorsFile f = SafetensorsFile.open(RawSafetensors.write(dir.resolve("all.safetensors"), header.toString(), data))) {
            assertEquals(DType.values().length, f.tensors().size());
            long at = 0;
            for (DType d : DType.values()) {
                StoredTensor t = f.tensor(d.name().toLowerCase());
                assertEquals(d, t.dtype());
                assertEquals(2L * d.byteSize(), t.byteSize());
                assertEquals((byte) at, t.data().get(ValueLayout.JAVA_BYTE, 0));
                at += t.byteSize();
            }
        }
    }

    @Test
    void zeroSizedTensorsAndAnEmptyFileAreValid() throws Exception {
        Path empty = RawSafetensors.write(dir.resolve("e.safetensors"), "{}      ", new byte[0]);
        try (SafetensorsFile f = SafetensorsFile.open(empty)) {
            assertTrue(f.tensors().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
        Path zero = RawSafetensors.write(dir.resolve("z.safetensors"),
                "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                f32(3));
        try (SafetensorsFile f = SafetensorsFile.open(zero)) {
            assertEquals(0, f.tensor("z").elementCount());
            assertEquals(1, f.tensor("s").elementCount());
            assertEquals(0, f.tensor("s").rank());
        }
    }

    @Test
    void shardedCheckpointPresentsOneView() throws Exception {
        RawSafetensors.write(dir.resolve("model-00001-of-00002.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        RawSafetensors.write(dir.resolve("model-00002-of-00002.safetensors"),
                "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", f32(2, 3));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{\"total_size\":12},\"weight_map\":"
                + "{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("a", "b"), List.copyOf(c.names()));
            assertEquals(2, c.files().size());
            assertEquals(3f, c.tensor("b").matrix().get(0, 1));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> c.tensor("c"));
            assertEquals("c", e.tensor());
        }
    }
}
