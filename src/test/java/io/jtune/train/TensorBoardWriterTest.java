package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes an event file and decodes it independently: TFRecord framing, CRCs, and the Event protobuf. */
class TensorBoardWriterTest {
    @TempDir Path dir;

    /** A decoded Event: wall time, step, file_version (or null), and the scalar (tag, value) pairs. */
    record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars) {}

    @Test
    void eventFilesDecodeToTheScalarsWritten() throws IOException {
        Path run = TensorBoardWriter.defaultRunDir(dir, LocalDateTime.of(2026, 11, 21, 15, 4, 5));
        assertTrue(run.getFileName().toString().startsWith("Nov21_15-04-05_"), run.toString());
        Path file;
        try (TensorBoardWriter tb = new TensorBoardWriter(run)) {
            file = tb.file();
            Map<String, Object> logs = new LinkedHashMap<>();
            logs.put("loss", 2.5);
            logs.put("learning_rate", 5e-5);
            logs.put("step", 7);
            tb.addLogs(logs, 7);
            tb.addLogs(Map.of("eval_loss", 2.25), 10);
        }
        assertTrue(file.getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\..+\\.\\d+\\.\\d+"), file.toString());

        List<Event> events = decode(Files.readAllBytes(file));
        assertEquals(4, events.size());
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertEquals(new Event(events.get(1).wallTime(), 7, null, Map.of("train/loss", 2.5f)), events.get(1));
        assertEquals(Map.of("train/learning_rate", 5e-5f), events.get(2).scalars());
        assertEquals(7, events.get(2).step());
        assertEquals(Map.of("eval/loss", 2.25f), events.get(3).scalars());
        assertEquals(10, events.get(3).step());
        assertTrue(Math.abs(events.get(1).wallTime() - System.currentTimeMillis() / 1000.0) < 60);
    }

    @Test
    void crc32cIsTheCastagnoliChecksumMasked() {
        // CRC-32C check value of "123456789" is 0xE3069283; TFRecord masks it: rotr15 + 0xa282ead8.
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc32c("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }

    private static List<Event> decode(byte[] file) {
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
        while (b.hasRemaining()) {
            long key = varint(b);
            int field = (int) (key >>> 3);
            switch (field) {
                case 1 -> wallTime = b.getDouble();
                case 2 -> step = varint(b);
                case 3 -> version = new String(bytes(b), StandardCharsets.UTF_8);
                case 5 -> parseSummary(ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN), scalars);
                default -> throw new AssertionError("unexpected Event field " + field);
            }
        }
        return new Event(wallTime, step, version, scalars);
    }

    private static void parseSummary(ByteBuffer b, Map<String, Float> scalars) {
        while (b.hasRemaining()) {
            assertEquals((1 << 3) | 2, varint(b)); // repeated Value value = 1
            ByteBuffer v = ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN);
            String tag = null;
            float value = Float.NaN;
            while (v.hasRemaining()) {
                long key = varint(v);
                if (key == ((1 << 3) | 2)) {
                    tag = new String(bytes(v), StandardCharsets.UTF_8);
                } else if (key == ((2 << 3) | 5)) {
                    value = v.getFloat();
                } else {
                    throw new AssertionError("unexpected Value field key " + key);
                }
            }
            scalars.put(tag, value);
        }
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
