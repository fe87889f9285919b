package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a TensorBoard event file back, independently of {@link TensorBoardWriter}: the TFRecord
 * framing with both CRCs checked, and the Event protocol buffer decoded field by field.
 */
public final class TensorBoardEvents {
    private TensorBoardEvents() {}

    /** A decoded Event: wall time, step, file_version (or null), the scalar (tag, value) pairs and the text summaries (tag, text). */
    public record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars, Map<String, String> texts) {}

    public static List<Event> read(Path file) throws IOException {
        return decode(Files.readAllBytes(file));
    }

    static List<Event> decode(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            int start = in.position();
            long length = in.getLong();
            assertEquals(TensorBoardWriter.maskedCrc32c(file, start, 8), in.getInt(), "length CRC");
            byte[] data = new byte[(int) length];
            in.get(data);
            assertEquals(TensorBoardWriter.maskedCrc32c(data, 0, data.length), in.getInt(), "data CRC");
            events.add(parseEvent(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)));
        }
        return events;
    }

    private static Event parseEvent(ByteBuffer b) {
        double wallTime = 0;
        long step = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        Map<String, String> texts = new LinkedHashMap<>();
        while (b.hasRemaining()) {
            long key = varint(b);
            int field = (int) (key >>> 3);
            switch (field) {
                case 1 -> wallTime = b.getDouble();
                case 2 -> step = varint(b);
                case 3 -> version = new String(bytes(b), StandardCharsets.UTF_8);
                case 5 -> parseSummary(ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN), scalars, texts);
                default -> throw new AssertionError("unexpected Event field " + field);
            }
        }
        return new Event(wallTime, step, version, scalars, texts);
    }

    private static void parseSummary(ByteBuffer b, Map<String, Float> scalars, Map<String, String> texts) {
        while (b.hasRemaining()) {
            assertEquals((1 << 3) | 2, varint(b)); // repeated Value value = 1
            ByteBuffer v = ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN);
            String tag = null;
            float value = Float.NaN;
            String text = null;
            String plugin = null;
            while (v.hasRemaining()) {
                long key = varint(v);
                if (key == ((1 << 3) | 2)) {
                    tag = new String(bytes(v), StandardCharsets.UTF_8);
                } else if (key == ((2 << 3) | 5)) {
                    value = v.getFloat();
                } else if (key == ((8 << 3) | 2)) { // TensorProto: DT_STRING, shape [1], one string_val
                    ByteBuffer t = ByteBuffer.wrap(bytes(v));
                    while (t.hasRemaining()) {
                        long k = varint(t);
                        if (k == ((1 << 3) | 0)) assertEquals(7, varint(t), "dtype DT_STRING");
                        else if (k == ((2 << 3) | 2)) assertEquals("18,2,8,1", joined(bytes(t)), "shape [1]");
                        else if (k == ((8 << 3) | 2)) text = new String(bytes(t), StandardCharsets.UTF_8);
                        else throw new AssertionError("unexpected TensorProto field key " + k);
                    }
                } else if (key == ((9 << 3) | 2)) { // SummaryMetadata { PluginData { plugin_name, content } }
                    ByteBuffer m = ByteBuffer.wrap(bytes(v));
                    assertEquals((1 << 3) | 2, varint(m));
                    ByteBuffer pd = ByteBuffer.wrap(bytes(m));
                    while (pd.hasRemaining()) {
                        long k = varint(pd);
                        byte[] value2 = bytes(pd);
                        if (k == ((1 << 3) | 2)) plugin = new String(value2, StandardCharsets.UTF_8);
                    }
                } else {
                    throw new AssertionError("unexpected Value field key " + key);
                }
            }
            if (text != null) {
                assertEquals("text", plugin, "a text summary names the text plugin");
                texts.put(tag, text);
            } else {
                scalars.put(tag, value);
            }
        }
    }

    private static String joined(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte x : bytes) sb.append(sb.isEmpty() ? "" : ",").append(x);
        return sb.toString();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[(int) varint(b)];
        b.get(out);
        return out;
    }

    private static long varint(ByteBuffer b) {
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b.get();
            result |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
        }
    }
}
