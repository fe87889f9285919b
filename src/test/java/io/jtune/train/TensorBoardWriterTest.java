package io.jtune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.jtune.train.TensorBoardEvents.Event;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes an event file and decodes it independently: TFRecord framing, CRCs, and the Event protobuf. */
class TensorBoardWriterTest {
    @TempDir Path dir;

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

        List<Event> events = TensorBoardEvents.read(file);
        assertEquals(4, events.size());
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertEquals(new Event(events.get(1).wallTime(), 7, null, Map.of("train/loss", 2.5f), Map.of()), events.get(1));
        assertEquals(Map.of("train/learning_rate", 5e-5f), events.get(2).scalars());
        assertEquals(7, events.get(2).step());
        assertEquals(Map.of("eval/loss", 2.25f), events.get(3).scalars());
        assertEquals(10, events.get(3).step());
        assertTrue(Math.abs(events.get(1).wallTime() - System.currentTimeMillis() / 1000.0) < 60);
    }

    @Test
    void textSummariesAreTorchsAddTextWithTheTextPlugin() throws IOException {
        Path file;
        try (TensorBoardWriter tb = new TensorBoardWriter(dir.resolve("runs").resolve("t"))) {
            file = tb.file();
            tb.addText("args", "{\n  \"learning_rate\": 0.0001\n}\n");
            tb.addText("model_config", "{\"model_type\": \"llama\"} 中文");
        }
        List<Event> events = TensorBoardEvents.read(file);
        assertEquals(3, events.size());
        assertEquals(Map.of("args/text_summary", "{\n  \"learning_rate\": 0.0001\n}\n"), events.get(1).texts());
        assertEquals(Map.of("model_config/text_summary", "{\"model_type\": \"llama\"} 中文"), events.get(2).texts());
        assertEquals(Map.of(), events.get(1).scalars());
        assertEquals(0, events.get(1).step());
    }

    @Test
    void crc32cIsTheCastagnoliChecksumMasked() {
        // CRC-32C check value of "123456789" is 0xE3069283; TFRecord masks it: rotr15 + 0xa282ead8.
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardWriter.maskedCrc32c("123456789".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }
}
