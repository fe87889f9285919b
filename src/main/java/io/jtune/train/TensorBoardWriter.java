package io.jtune.train;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * TensorBoard event files (output_dir/runs/&lt;run&gt;/events.out.tfevents.*) with scalar summaries,
 * written without TensorFlow: each record is TFRecord-framed (length, masked CRC32C of the length,
 * the bytes, masked CRC32C of the bytes) around a hand-encoded {@code Event} protocol buffer.
 *
 * <p>The encoding, from tensorflow/core/util/event.proto and summary.proto:
 * {@code Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }},
 * {@code Summary { repeated Value value = 1; }}, {@code Value { string tag = 1; float simple_value = 2; }}.
 *
 * <p>Append-only: every record is written whole and flushed, so a killed run leaves complete records
 * (TensorBoard also skips a truncated last record).
 */
public final class TensorBoardWriter implements Closeable {
    private static final AtomicInteger UID = new AtomicInteger();
    private final Path file;
    private final FileChannel channel;

    /** Creates a new event file in runDir and writes the file-version record TensorBoard expects first. */
    public TensorBoardWriter(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        String name = String.format(Locale.ROOT, "events.out.tfevents.%010d.%s.%d.%d", System.currentTimeMillis() / 1000,
                hostName(), ProcessHandle.current().pid(), UID.getAndIncrement());
        this.file = runDir.resolve(name);
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        writeRecord(fileVersionEvent(now()));
    }

    /** transformers' default logging_dir: output_dir/runs/&lt;Mon DD_HH-MM-SS&gt;_&lt;host&gt;. */
    public static Path defaultRunDir(Path outputDir, LocalDateTime time) {
        String stamp = time.format(DateTimeFormatter.ofPattern("MMMdd_HH-mm-ss", Locale.ENGLISH));
        return outputDir.resolve("runs").resolve(stamp + "_" + hostName());
    }

    public Path file() {
        return file;
    }

    /** One scalar point (tag, value) at a step. */
    public synchronized void addScalar(String tag, double value, long step) throws IOException {
        writeRecord(scalarEvent(now(), step, tag, (float) value));
    }

    /**
     * A text summary, as torch's SummaryWriter.add_text writes it (HF's TensorBoardCallback adds the
     * training arguments as "args" and the model's config as "model_config"): tag + "/text_summary",
     * the "text" plugin, a one-element string tensor.
     */
    public synchronized void addText(String tag, String text) throws IOException {
        writeRecord(textEvent(now(), tag, text));
    }

    /**
     * Every number in a Trainer log dict, with the HF TensorBoardCallback's tags: eval_x becomes
     * eval/x, test_x becomes test/x, anything else train/x (loss, learning_rate, grad_norm, epoch).
     */
    public synchronized void addLogs(Map<String, ?> logs, long step) throws IOException {
        for (Map.Entry<String, ?> e : logs.entrySet()) {
            // "step" is the x axis, not a series (log_history entries carry it; the Trainer's logs do not)
            if (e.getValue() instanceof Number n && !"step".equals(e.getKey())) {
                addScalar(rewriteTag(e.getKey()), n.doubleValue(), step);
            }
        }
    }

    static String rewriteTag(String key) {
        if (key.startsWith("eval_")) {
            return "eval/" + key.substring(5);
        }
        if (key.startsWith("test_")) {
            return "test/" + key.substring(5);
        }
        return "train/" + key;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.force(true);
        channel.close();
    }

    private void writeRecord(byte[] data) throws IOException {
        ByteBuffer record = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        record.putLong(data.length);
        record.putInt(maskedCrc32c(record.array(), 0, 8));
        record.put(data);
        record.putInt(maskedCrc32c(data, 0, data.length));
        record.flip();
        try {
            while (record.hasRemaining()) {
                channel.write(record);
            }
        } catch (IOException e) {
            throw new io.jtune.util.IoErrors.WriteFailed(file.toString(), e); // a full disk: name the file
        }
    }

    /** TFRecord's checksum: CRC32C, rotated right by 15 bits, plus a constant (so CRCs of CRCs stay strong). */
    static int maskedCrc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    static byte[] fileVersionEvent(double wallTime) {
        Proto event = new Proto();
        event.fixed64(1, Double.doubleToLongBits(wallTime));
        event.bytes(3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        return event.toByteArray();
    }

    static byte[] scalarEvent(double wallTime, long step, String tag, float value) {
        Proto v = new Proto();
        v.bytes(1, tag.getBytes(StandardCharsets.UTF_8));
        v.fixed32(2, Float.floatToIntBits(value));
        Proto summary = new Proto();
        summary.bytes(1, v.toByteArray());
        Proto event = new Proto();
        event.fixed64(1, Double.doubleToLongBits(wallTime));
        event.varint(2, step);
        event.bytes(5, summary.toByteArray());
        return event.toByteArray();
    }

    /**
     * {@code Value { string tag = 1; TensorProto tensor = 8; SummaryMetadata metadata = 9; }} with
     * {@code SummaryMetadata { PluginData plugin_data = 1; }}, {@code PluginData { string plugin_name = 1; bytes content = 2; }}
     * and {@code TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; }}.
     */
    static byte[] textEvent(double wallTime, String tag, String text) {
        Proto pluginData = new Proto();
        pluginData.bytes(1, "text".getBytes(StandardCharsets.UTF_8));
        pluginData.bytes(2, new byte[0]); // TextPluginData(version=0), serialized: empty
        Proto metadata = new Proto();
        metadata.bytes(1, pluginData.toByteArray());
        Proto dim = new Proto();
        dim.varint(1, 1);
        Proto shape = new Proto();
        shape.bytes(2, dim.toByteArray());
        Proto tensor = new Proto();
        tensor.varint(1, 7);
        tensor.bytes(2, shape.toByteArray());
        tensor.bytes(8, text.getBytes(StandardCharsets.UTF_8));
        Proto v = new Proto();
        v.bytes(1, (tag + "/text_summary").getBytes(StandardCharsets.UTF_8));
        v.bytes(8, tensor.toByteArray());
        v.bytes(9, metadata.toByteArray());
        Proto summary = new Proto();
        summary.bytes(1, v.toByteArray());
        Proto event = new Proto();
        event.fixed64(1, Double.doubleToLongBits(wallTime));
        event.bytes(5, summary.toByteArray());
        return event.toByteArray();
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The few protocol-buffer wire types an Event needs: varint (0), fixed64 (1), bytes (2), fixed32 (5). */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void varint(int field, long value) {
            rawVarint(((long) field << 3) | 0);
            rawVarint(value);
        }

        void fixed64(int field, long bits) {
            rawVarint(((long) field << 3) | 1);
            for (int i = 0; i < 8; i++) {
                out.write((int) (bits >>> (8 * i)));
            }
        }

        void bytes(int field, byte[] bytes) {
            rawVarint(((long) field << 3) | 2);
            rawVarint(bytes.length);
            out.writeBytes(bytes);
        }

        void fixed32(int field, int bits) {
            rawVarint(((long) field << 3) | 5);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
        }

        private void rawVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
